"""Refusals of the owner's data rights, each with a stable code and what to do about it."""

from __future__ import annotations

import uuid
from datetime import datetime

from linkplus.errors import Conflict, NotFound, ProblemError

# --- export ----------------------------------------------------------------------------------


class ExportNotFound(NotFound):
    code = "export_not_found"
    title = "No such export"

    def __init__(self) -> None:
        # Another account's export gets the same answer as one that does not exist.
        super().__init__("There is no such export in your account. Ask for a new one.")


class ExportInProgress(Conflict):
    code = "export_in_progress"
    title = "An export is already being made"

    def __init__(self, export_id: uuid.UUID) -> None:
        super().__init__(
            "Your data export is already being made. You will be told when it is ready; then "
            "download it, or ask again after that.",
            export_id=str(export_id),
        )


class ExportNotReady(Conflict):
    code = "export_not_ready"
    title = "The export is not ready"

    def __init__(self, state: str) -> None:
        detail = (
            "Your data export is still being made. You will be told when it is ready."
            if state == "queued"
            else "This export could not be made. Ask for a new one."
        )
        super().__init__(detail, state=state)


class ExportExpired(ProblemError):
    status = 410
    code = "export_expired"
    title = "The export has expired"

    def __init__(self) -> None:
        super().__init__(
            "The download link has expired and the file is deleted. Ask for a new export."
        )


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
