"""Errors of the vehicle link: malformed messages (counted and dropped by the gateway, never
shown to anyone), refusals of provisioning, and refusals of the vehicle status API."""

from __future__ import annotations

from linkplus.errors import Conflict, NotFound


class UnknownVehicle(NotFound):
    code = "vehicle_not_found"


class ServiceNotActive(Conflict):
    code = "service_not_active"
    title = "The connected service is not active"

    def __init__(self, service_name: str) -> None:
        super().__init__(
            f"{service_name} is not active for this car. Activate the standard services in the "
            "Connected Services Centre and try again.",
            service=service_name,
        )


class VehicleAsleep(Conflict):
    code = "vehicle_asleep"
    title = "The car is asleep"

    def __init__(self) -> None:
        super().__init__(
            "The car has not been used for a while and is asleep to protect its 12 V battery; it "
            "answers nothing until then. Start the engine to wake it, then try again."
        )


class LocationNotShared(Conflict):
    code = "location_not_shared"
    title = "The car does not share its location"

    def __init__(self) -> None:
        super().__init__(
            "Privacy mode is on, so the car does not share its position and none is kept. Switch "
            "privacy mode off in the car or in the app to see where it is parked."
        )


class LocationUnknown(Conflict):
    code = "location_unknown"
    title = "The car has not reported where it is parked"

    def __init__(self) -> None:
        super().__init__(
            "The car reports its parked position when the engine is switched off. Drive it once "
            "with location sharing on, then try again."
        )


class LocationWithheldStolen(Conflict):
    code = "vehicle_reported_stolen"
    title = "The car is reported stolen"

    def __init__(self) -> None:
        super().__init__(
            "Your car is reported stolen: its location is shown only to the customer centre and "
            "the police. Reactivate its services in the app once you have it back."
        )
