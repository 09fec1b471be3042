"""Refusals of the garage domain, each with a stable code and a message saying what to do."""

from __future__ import annotations

from linkplus.errors import Conflict, Forbidden, InvalidInput, NotFound


class VehicleNotFound(NotFound):
    """The one answer for an unknown VIN, a malformed VIN and a car in someone else's garage.

    Routes that name a VIN in their path must not tell these apart, or they would reveal which
    VINs exist and which cars other people have.
    """

    code = "vehicle_not_found"
    title = "Vehicle not found"

    def __init__(self) -> None:
        super().__init__(
            "There is no car with this VIN in your garage. Check the VIN, or add the car to "
            "your garage first."
        )


class UnknownVehicle(NotFound):
    """Adding a car that the manufacturer's registry does not know."""

    code = "vehicle_not_found"
    title = "Vehicle not found"

    def __init__(self, by: str) -> None:
        super().__init__(
            f"We found no car with this {by}. Check it and try again, or scan the QR code that "
            "the car's multimedia screen shows under Connected Services."
        )


class InvalidVinInput(InvalidInput):
    code = "invalid_vin"
    title = "This is not a valid VIN"


class NotPrimaryAccount(Forbidden):
    code = "not_primary_account"
    title = "Another account is the car's primary account"

    def __init__(self) -> None:
        super().__init__(
            "Only the car's primary account can use this. Switch the active account in the "
            "Connected Services Centre."
        )


class GarageFull(Conflict):
    code = "garage_full"
    title = "Your garage is full"


class VehicleAlreadyInGarage(Conflict):
    code = "vehicle_already_in_garage"
    title = "This car is already in your garage"

    def __init__(self) -> None:
        super().__init__("The car is already in your garage; there is nothing to add.")


class OdometerReadingUnavailable(InvalidInput):
    code = "qr_code_required"
    title = "Scan the QR code to add this car"

    def __init__(self) -> None:
        super().__init__(
            "This car has not reported a mileage yet, so we cannot check it. Sit in the car, open "
            "Connected Services on its multimedia screen and scan the QR code it shows."
        )


class OdometerMismatch(InvalidInput):
    code = "odometer_mismatch"
    title = "The odometer reading does not match"

    def __init__(self, attempts_left: int) -> None:
        tries = "1 more try" if attempts_left == 1 else f"{attempts_left} more tries"
        super().__init__(
            "The reading does not match the mileage the car last reported. Read the odometer "
            f"in the instrument cluster and enter it in km. You have {tries}; after that you "
            "will need to visit a dealer. Scanning the QR code on the car's screen also works.",
            attempts_left=attempts_left,
        )


class OwnershipCheckBlocked(Conflict):
    code = "ownership_check_blocked"
    title = "The ownership check is blocked"

    def __init__(self) -> None:
        super().__init__(
            "Too many wrong odometer readings were entered for this car. Visit a dealer, who will "
            "check your identity in person and unblock the check."
        )


class VehicleOwnershipBlocked(Conflict):
    """The car's check is blocked for every account (too many wrong readings from any accounts)."""

    code = "vehicle_ownership_check_blocked"
    title = "The ownership check is blocked for this car"

    def __init__(self) -> None:
        super().__init__(
            "Too many wrong odometer readings were entered for this car recently, so it cannot be "
            "added or claimed for now. Visit a dealer, who will check your identity in person "
            "and unblock the car."
        )


class VehicleNotBlocked(Conflict):
    code = "vehicle_ownership_check_not_blocked"
    title = "The car's ownership check is not blocked"

    def __init__(self) -> None:
        super().__init__("The ownership check for this car is not blocked; nothing was changed.")


class VehicleIdentityCheckRequired(Conflict):
    code = "identity_check_required"
    title = "Check the owner's identity first"

    def __init__(self, hours: int) -> None:
        super().__init__(
            "Record an in-person identity check of the car's owner (passport, ID card or driving "
            f"licence) for this car before unblocking it; it must be from the last {hours} hours."
        )


class ProofRequired(InvalidInput):
    code = "proof_required"
    title = "Show that you have access to the car"


class AlreadyPrimaryAccount(Conflict):
    code = "already_primary_account"
    title = "You are already the car's primary account"

    def __init__(self) -> None:
        super().__init__("Your account already is this car's primary account; nothing changed.")


class AccountNotLinked(NotFound):
    """Staff asked about an account that does not have this car."""

    code = "account_not_linked"
    title = "The account does not have this car"

    def __init__(self) -> None:
        super().__init__(
            "This account does not have the car in its garage. Check the account in the car's "
            "list of accounts."
        )


class IdentityCheckRequired(Conflict):
    code = "identity_check_required"
    title = "Check the owner's identity first"

    def __init__(self, hours: int) -> None:
        super().__init__(
            "Record an in-person identity check for this account and car (passport, ID card or "
            f"driving licence) before unblocking; it must be from the last {hours} hours."
        )


class PairingCodeForAnotherVehicle(InvalidInput):
    code = "pairing_code_other_vehicle"
    title = "This QR code belongs to another car"

    def __init__(self) -> None:
        super().__init__(
            "The QR code was shown by a different car. Scan the code on the screen of the car "
            "you are claiming."
        )


class NoOwnershipCheck(NotFound):
    code = "ownership_check_not_found"
    title = "No ownership check to unblock"

    def __init__(self) -> None:
        super().__init__(
            "This account has not tried the ownership check for this car; there is nothing to "
            "unblock."
        )


class PrimaryChangedMeanwhile(Conflict):
    code = "primary_account_changed_meanwhile"
    title = "Another account became primary at the same moment"

    def __init__(self) -> None:
        super().__init__(
            "Another account claimed this car at the same moment. Open the Connected Services "
            "Centre again to see the current state, and claim it again if you need to."
        )
