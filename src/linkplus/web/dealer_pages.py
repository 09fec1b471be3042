"""The preferred dealer: search the directory by name or city, or nearest to a position, and
choose one. Searching is a GET (it changes nothing); choosing is a form post."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from linkplus.dealers import service as dealers
from linkplus.dealers.schemas import DealerQuery
from linkplus.deps import SessionDep
from linkplus.web.cars import page_notice
from linkplus.web.forms import field_errors
from linkplus.web.i18n import N_
from linkplus.web.rendering import see_other
from linkplus.web.sessions import (
    FormDep,
    OwnerDep,
    Refused,
    Visitor,
    attempt,
    form_text,
    owner_account,
    render,
)

router = APIRouter(include_in_schema=False)

_QUERY_FIELDS = ("name", "lat", "lon", "country")


async def _dealer_page(
    request: Request, visitor: Visitor, session: SessionDep, *, status: int = 200, error: str | None
) -> Response:
    values = {name: request.query_params.get(name, "").strip()[:100] for name in _QUERY_FIELDS}
    asked = any(values.values())
    hits: list[dealers.DealerHit] = []
    errors: dict[str, str] = {}
    if asked:
        try:
            query = DealerQuery.model_validate(
                {name: value for name, value in values.items() if value}
            )
            hits = dealers.search(name=query.name, near=query.near, country=query.country)
        except ValidationError as exc:
            errors = field_errors(exc)
            if "form" in errors:  # lat without lon or the other way round
                errors["lat"] = N_("Give both latitude and longitude to search near a place.")
            status = 422
    preferred = await dealers.preferred(session, account_id=owner_account(visitor).id)
    return render(
        request,
        visitor,
        "dealers/preferred.html",
        section="account",
        status=status,
        notice=page_notice(request),
        values=values,
        errors=errors,
        error=error,
        asked=asked,
        hits=hits,
        preferred=preferred,
    )


@router.get("/account/dealer")
async def dealer_page(request: Request, visitor: OwnerDep, session: SessionDep) -> Response:
    return await _dealer_page(request, visitor, session, error=None)


@router.post("/account/dealer")
async def choose_dealer(
    request: Request, visitor: OwnerDep, form: FormDep, session: SessionDep
) -> Response:
    outcome = await attempt(
        session,
        visitor,
        dealers.set_preferred(
            session, account_id=owner_account(visitor).id, dealer_id=form_text(form, "dealer_id")
        ),
    )
    if isinstance(outcome, Refused):
        return await _dealer_page(
            request,
            visitor,
            session,
            status=outcome.status,
            error=N_(
                "This dealer is not in the directory any more. Search again and choose one "
                "from the list."
            ),
        )
    return see_other("/account/dealer", done="dealer_chosen")
