"""The console's reason form: before a console page shows an owner's personal data, the staff
member says why (the owner sees it in their privacy portal, ``web/access_pages.py``).

The answer is remembered for that car or case within the same console sign-in for
``audit.access.REMEMBER_FOR`` (15 minutes from when it was given), so an agent working on one
car is asked once, not on every click; signing out forgets it. Safety agents holding an open case
are never asked: the case is the reason (``safety`` records it itself).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from linkplus.audit import access
from linkplus.audit.reasons import REASON_WORDS, AccessReason, ReasonCode, check_reason
from linkplus.kit.parsing import InputRefused
from linkplus.runtime import Runtime
from linkplus.web.sessions import Visitor, form_text, render

REMEMBER_MINUTES = int(access.REMEMBER_FOR.total_seconds() // 60)
# The status of the form shown instead of the data: the view is refused until a reason is given.
ASK_STATUS = 403


def _session_key(visitor: Visitor) -> str:
    assert visitor.session_cookie is not None  # only signed-in staff reach the console pages
    return access.console_session_key(visitor.session_cookie)


async def remembered(
    session: AsyncSession, runtime: Runtime, visitor: Visitor, subject: str
) -> AccessReason | None:
    """The reason given for ``subject`` earlier in this console sign-in, while remembered."""
    assert visitor.staff is not None
    return await access.remembered(
        session,
        now=runtime.clock.now(),
        staff=visitor.staff,
        staff_session=_session_key(visitor),
        subject=subject,
    )


def from_form(visitor: Visitor, form: FormData) -> AccessReason | dict[str, str]:
    """The reason the form gives (tied to this sign-in, so it is remembered), or the field
    errors to show."""
    try:
        reason = check_reason(form_text(form, "reason"), form_text(form, "reason_text"))
    except InputRefused as refused:
        return {refused.field: refused.message}
    if reason is None:
        return {"reason": "Choose why you open this owner's data."}
    return AccessReason(reason.code, reason.text, reason.source, _session_key(visitor))


def form_values(form: FormData) -> dict[str, str]:
    """What the form said, to show it again with its errors."""
    return {name: form_text(form, name) for name in ("reason", "reason_text")}


def ask(
    request: Request,
    visitor: Visitor,
    *,
    action: str,
    back: str,
    opening: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """The reason form in place of the page (403 until a reason is given; 422 when the one
    given cannot be taken)."""
    return render(
        request,
        visitor,
        "console/access_reason.html",
        status=422 if errors else ASK_STATUS,
        staff=visitor.staff,
        action=action,
        back=back,
        opening=opening,
        reasons=[(code.value, REASON_WORDS[code]) for code in ReasonCode],
        remember_minutes=REMEMBER_MINUTES,
        values=values or {},
        errors=errors or {},
        error="Nothing was opened. Check the reason below." if errors else None,
    )
