"""The staff API's reason parameters, read once for every route that shows an owner's data."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from linkplus.audit.reasons import (
    REASON_TEXT_MAX,
    AccessReason,
    ReasonCode,
    check_reason,
    reason_help,
)
from linkplus.errors import raises
from linkplus.kit.parsing import InputRefused, display_text


@raises(403, 422)
async def _access_reason(
    reason: Annotated[
        ReasonCode | None,
        Query(description=f"Why you open this owner's data (the owner sees it): {reason_help()}."),
    ] = None,
    reason_text: Annotated[
        str | None,
        Query(
            max_length=REASON_TEXT_MAX,
            description="Your own words: required with reason=other (5 to 200 characters), "
            "optional detail otherwise (a ticket or case number).",
        ),
        display_text(),
    ] = None,
) -> AccessReason | None:
    try:
        return check_reason(
            reason.value if reason else None,
            reason_text,
            code_field="query.reason",  # named as request validation names them
            text_field="query.reason_text",
        )
    except InputRefused as refused:
        raise refused.problem() from refused


AccessReasonDep = Annotated[AccessReason | None, Depends(_access_reason)]
