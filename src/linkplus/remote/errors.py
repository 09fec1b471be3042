"""Refusals of the remote-control API. Every precondition refusal is one ``CommandRefused`` whose
``code`` is the ``preconditions.Refusal`` value, so the API and the car speak the same codes."""

from __future__ import annotations

from typing import Any

from linkplus.errors import Conflict, InvalidInput, NotFound, ProblemError, TooManyRequests
from linkplus.remote.preconditions import Refusal, message


class CommandRefused(ProblemError):
    status = 409
    code = "command_refused"
    title = "The car cannot do this now"

    def __init__(self, refusal: Refusal, *, retry_after: int | None = None, **extra: Any) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        super().__init__(message(refusal), headers=headers, **extra)
        self.code = refusal.value
        self.refusal = refusal


class CommandInProgress(Conflict):
    code = "command_in_progress"
    title = "Another command is still running"

    def __init__(self, subsystem: str, command_id: str) -> None:
        super().__init__(
            f"A {subsystem} command for this car is still on its way. Wait for its outcome, "
            "then try again.",
            subsystem=subsystem,
            command_id=command_id,
        )


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was used for another request"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request. Use a new key for "
            "a new command."
        )


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"

    def __init__(self) -> None:
        super().__init__("The Idempotency-Key header must be 1 to 200 visible ASCII characters.")


class RateLimited(TooManyRequests):
    code = "rate_limited"
    title = "Too many commands"

    def __init__(self, scope: str, retry_after: int) -> None:
        who = "this car" if scope == "vehicle" else "your account"
        super().__init__(
            f"Too many remote commands for {who} in a short time. Try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
            scope=scope,
        )


class CommandNotFound(NotFound):
    code = "command_not_found"

    def __init__(self) -> None:
        super().__init__("There is no such command for this car.")


class ScheduleNotFound(NotFound):
    code = "schedule_not_found"

    def __init__(self) -> None:
        super().__init__("There is no such climate schedule for this car.")


class InvalidSchedule(InvalidInput):
    code = "invalid_schedule"
