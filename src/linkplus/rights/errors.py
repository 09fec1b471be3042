"""Refusals of the owner's data rights, each with a stable code and what to do about it."""

from __future__ import annotations

from datetime import datetime

from linkplus.errors import Conflict, NotFound

# --- erasure ---------------------------------------------------------------------------------


class ErasureAlreadyRequested(Conflict):
    code = "erasure_already_requested"
    title = "The account is already due to be erased"

    def __init__(self, erase_after: datetime) -> None:
        super().__init__(
            f"Your account is already due to be erased after {erase_after:%Y-%m-%d %H:%M} UTC. "
            "Cancel that request first if you want to start again.",
            erase_after=erase_after.isoformat(),
        )


class ErasureNotRequested(NotFound):
    code = "erasure_not_requested"
    title = "No erasure to cancel"

    def __init__(self) -> None:
        super().__init__("Your account is not due to be erased; there is nothing to cancel.")


class ErasureUnderWay(Conflict):
    code = "erasure_under_way"
    title = "The erasure has begun"

    def __init__(self) -> None:
        super().__init__(
            "The grace period is over and your account is being erased; it cannot be stopped."
        )


class ErasurePending(Conflict):
    code = "erasure_pending"
    title = "The account is due to be erased"

    def __init__(self, erase_after: datetime) -> None:
        super().__init__(
            f"Your account is due to be erased after {erase_after:%Y-%m-%d %H:%M} UTC, so it "
            "cannot buy anything new. Cancel the erasure (Account, Privacy) to subscribe.",
            erase_after=erase_after.isoformat(),
        )
