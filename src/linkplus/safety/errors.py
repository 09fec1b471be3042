"""Refusals of the safety API, each with its own code."""

from __future__ import annotations

from linkplus.errors import Conflict, InvalidInput, NotFound, ProblemError


class CaseNotFound(NotFound):
    code = "safety_case_not_found"
    title = "No such case"

    def __init__(self) -> None:
        super().__init__("There is no such case, or it is not yours to see. Check the link.")


class CaseTakenByAnother(Conflict):
    code = "safety_case_taken"
    title = "Another agent has this case"

    def __init__(self) -> None:
        super().__init__(
            "Another agent has taken this case. Pick another one from the queue, or ask a "
            "supervisor to hand it over."
        )


class CaseNotTaken(Conflict):
    code = "safety_case_not_taken"
    title = "Take the case first"

    def __init__(self) -> None:
        super().__init__("Take the case before you act on it: it is not yours yet.")


class CaseClosed(Conflict):
    code = "safety_case_closed"
    title = "The case is closed"

    def __init__(self) -> None:
        super().__init__("This case is closed; nothing more can be done on it.")


class WrongCaseKind(Conflict):
    code = "safety_wrong_case_kind"
    title = "Not for this kind of case"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} Open the right kind of case for it.")


class AlreadyDispatched(Conflict):
    code = "safety_already_dispatched"
    title = "Help was sent already"

    def __init__(self) -> None:
        super().__init__(
            "Emergency services were dispatched on this case: it cannot be marked accidental. "
            "Close it with its outcome instead."
        )


class TheftCheckFailed(Conflict):
    code = "theft_check_failed"
    title = "The theft report does not check out"


class TheftAlreadyReported(Conflict):
    code = "theft_already_reported"
    title = "This car is already reported stolen"

    def __init__(self) -> None:
        super().__init__(
            "This car already has an open theft case. The agents are on it; follow the police "
            "for updates."
        )


class TrackingNotActive(Conflict):
    code = "tracking_not_running"
    title = "Tracking is not running"

    def __init__(self) -> None:
        super().__init__("Tracking is not running on this case, so there is nothing to stop.")


class TrackingUnavailable(Conflict):
    code = "tracking_unavailable"
    title = "Tracking cannot start"


class SafetySwitchedOff(Conflict):
    code = "safety_switched_off"
    title = "Safety features are switched off"

    def __init__(self) -> None:
        super().__init__(
            "The safety features of this car were switched off by a dealer or the customer "
            "centre. Switch them on again first."
        )


class NothingToReactivate(Conflict):
    code = "nothing_to_reactivate"
    title = "Nothing to reactivate"

    def __init__(self) -> None:
        super().__init__(
            "This car has no theft case waiting for reactivation. Its services are running."
        )


class StillTracking(Conflict):
    code = "still_tracking"
    title = "Tracking is still running"

    def __init__(self) -> None:
        super().__init__(
            "The car is still being tracked. Reactivate once the police or the customer centre "
            "have stopped tracking after the recovery."
        )


class WrongCode(InvalidInput):
    code = "wrong_code"
    title = "Wrong or expired code"

    def __init__(self) -> None:
        super().__init__(
            "The code is wrong or has expired. Check the latest e-mail, or start again to get a "
            "new code."
        )


class PoliceLinkNotFound(NotFound):
    code = "police_link_not_found"
    title = "No such link"

    def __init__(self) -> None:
        super().__init__(
            "This link does not exist or has expired. Ask the customer centre for a new one."
        )


class CarUnreachable(ProblemError):
    status = 503
    code = "vehicle_link_unavailable"
    title = "The car cannot be reached now"

    def __init__(self) -> None:
        super().__init__(
            "The command could not be handed to the car's link (the MQTT broker is not "
            "reachable). Nothing was changed; try again in a minute.",
            headers={"Retry-After": "30"},
        )
