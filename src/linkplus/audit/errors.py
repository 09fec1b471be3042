"""Refusals of the staff access records."""

from __future__ import annotations

from linkplus.errors import Forbidden


class AccessReasonRequired(Forbidden):
    """Staff asked for an owner's personal data without saying why."""

    code = "access_reason_required"
    title = "Say why you open this owner's data"
