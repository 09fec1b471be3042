"""Refusals of the vehicles domain."""

from __future__ import annotations

from typing import Any

from linkplus.errors import InvalidInput, NotFound

VEHICLE_NOT_FOUND = (
    "There is no vehicle with this VIN that you can see. Check the 17 characters against the "
    "vehicle registration document."
)


class VehicleNotFound(NotFound):
    """Unknown VIN, or a car the caller may not see: the same answer for both, on purpose."""

    code = "vehicle_not_found"
    title = "Vehicle not found"

    def __init__(self, detail: str = VEHICLE_NOT_FOUND, **extra: Any) -> None:
        super().__init__(detail, **extra)


class InvalidVinError(InvalidInput):
    code = "invalid_vin"
    title = "This is not a valid VIN"


class PairingCodeInvalid(InvalidInput):
    code = "pairing_code_invalid"
    title = "The pairing code is not valid"


class PairingCodeExpired(InvalidInput):
    code = "pairing_code_expired"
    title = "The pairing code has expired"


class PairingCodeUsed(InvalidInput):
    code = "pairing_code_used"
    title = "The pairing code has already been used"
