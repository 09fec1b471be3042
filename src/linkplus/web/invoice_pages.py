"""Invoices and credit notes: the list, one document, and its PDF through the cookie session.

E-mails link to ``/invoices/{id}.pdf`` on the web app, so the download works with the browser's
sign-in (the API's twin needs a bearer token). Another account's document, an unknown id and a
malformed id are the same 404. Amounts and dates are shown in the document's own locale (the
account's language in the buyer's country, fixed when it was issued), as the PDF prints them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_percent
from fastapi import APIRouter, Request
from fastapi.responses import Response

from linkplus.deps import SessionDep
from linkplus.invoices import service as invoices
from linkplus.invoices.errors import DocumentNotFound
from linkplus.web.i18n import N_
from linkplus.web.sessions import OwnerDep, owner_account, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
KIND_LABELS = {"invoice": N_("Invoice"), "credit_note": N_("Credit note")}


def document_id_from(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise DocumentNotFound("There is no such invoice in your account.") from None


def local_date(day: date | None, locale: str) -> str:
    """A date as a reader of ``locale`` writes it (``21.11.2026`` for de_DE)."""
    if day is None:
        return ""
    try:
        return format_date(day, format="medium", locale=Locale.parse(locale))
    except (UnknownLocaleError, ValueError):
        return day.isoformat()


def account_locale(language: str, country: str) -> str:
    """The account's language as written in its country (``de_AT``), or the bare language."""
    for candidate in (f"{language}_{country}", language):
        try:
            return str(Locale.parse(candidate.replace("-", "_")))
        except (UnknownLocaleError, ValueError):
            continue
    return "en"


def _parse_before(request: Request) -> tuple[datetime | None, uuid.UUID | None]:
    raw_before = request.query_params.get("before")
    raw_id = request.query_params.get("before_id")
    if not raw_before or not raw_id:
        return None, None
    try:
        return datetime.fromisoformat(raw_before), uuid.UUID(raw_id)
    except ValueError:
        return None, None


@router.get("/invoices")
async def invoices_page(request: Request, visitor: OwnerDep, session: SessionDep) -> Response:
    account = owner_account(visitor)
    before, before_id = _parse_before(request)
    page = await invoices.owner_documents(
        session, account_id=account.id, limit=PAGE_SIZE, before=before, before_id=before_id
    )
    locale = account_locale(account.language, account.country)
    rows: list[dict[str, Any]] = [
        {
            "id": item.id,
            "number": item.number,
            "kind": KIND_LABELS.get(item.kind.value, item.kind.value),
            "date": local_date(item.issued_on, locale),
            "amount": item.gross.display,
        }
        for item in page.items
    ]
    more = None
    if page.next_before is not None and page.next_before_id is not None:
        more = {"before": page.next_before.isoformat(), "before_id": str(page.next_before_id)}
    return render(
        request,
        visitor,
        "invoices/list.html",
        section="account",
        documents=rows,
        more=more,
    )


@router.get("/invoices/{document_id}.pdf")
async def invoice_pdf(document_id: str, visitor: OwnerDep, session: SessionDep) -> Response:
    name, content = await invoices.owner_pdf(
        session, account_id=owner_account(visitor).id, document_id=document_id_from(document_id)
    )
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/invoices/{document_id}")
async def invoice_page(
    document_id: str, request: Request, visitor: OwnerDep, session: SessionDep
) -> Response:
    found = await invoices.owner_document(
        session, account_id=owner_account(visitor).id, document_id=document_id_from(document_id)
    )
    return render(
        request,
        visitor,
        "invoices/detail.html",
        section="account",
        document=found,
        kind=KIND_LABELS.get(found.kind.value, found.kind.value),
        issued=local_date(found.issued_on, found.locale),
        vat_rate=format_percent(found.vat_rate, locale=found.locale),
        periods=[
            (
                local_date(line.period_start, found.locale),
                # period_end is the first day not covered; documents print the day before
                local_date(line.period_end - timedelta(days=1), found.locale)
                if line.period_end
                else "",
            )
            for line in found.lines
        ],
    )
