"""Refusals of the trips API, each with what the owner can do about it."""

from __future__ import annotations

from linkplus.errors import Conflict, InvalidInput, NotFound


class TripNotFound(NotFound):
    code = "trip_not_found"

    def __init__(self) -> None:
        super().__init__("This car has no such trip. Open the trip list and choose a trip there.")


class ServiceNotActive(Conflict):
    code = "service_not_active"
    title = "The connected service is not active"

    def __init__(self, service_name: str) -> None:
        super().__init__(
            f"{service_name} is not active for this car. Activate the standard services in the "
            "Connected Services Centre and try again.",
            service=service_name,
        )


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__(
            "This cursor was not given out by the trip list. Load the list again without it."
        )


class InvalidPeriod(InvalidInput):
    code = "invalid_period"

    def __init__(self) -> None:
        super().__init__("'from' is after 'to'. Give the earlier date as 'from'.")
