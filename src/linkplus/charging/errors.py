"""Refusals of the charging API, each with its own code."""

from __future__ import annotations

from linkplus.errors import Conflict, InvalidInput, NotFound


class ChargerNotFound(NotFound):
    code = "charger_not_found"
    title = "No such charger"

    def __init__(self) -> None:
        super().__init__(
            "There is no such charger in your account. Check the charger's identity, or add it "
            "with the activation code printed on it."
        )


class ActivationRefused(NotFound):
    """Unknown identity, wrong code and a charger in another account look the same."""

    code = "charger_activation_refused"
    title = "Identity and activation code do not match"

    def __init__(self) -> None:
        super().__init__(
            "No charger has this identity and activation code. Type both exactly as printed on "
            "the charger's label, or scan its QR code."
        )


class ChargerAlreadyOnboarded(Conflict):
    code = "charger_already_onboarded"
    title = "The charger is already in an account"

    def __init__(self) -> None:
        super().__init__(
            "This charger is already in an account. Ask its owner to remove it from theirs "
            "first, then add it again."
        )


class CarNotChargeable(InvalidInput):
    code = "car_not_chargeable"
    title = "This car does not plug in"

    def __init__(self, vin: str) -> None:
        super().__init__(
            f"The car {vin} is not a plug-in hybrid or electric car, so it cannot charge at a "
            "home charger. Choose one of your plug-in cars."
        )


class ChargerOffline(Conflict):
    code = "charger_offline"
    title = "The charger is not connected"

    def __init__(self) -> None:
        super().__init__(
            "The charger is not connected to the platform. Check that it has power and "
            "network, then try again."
        )


class SessionAlreadyRunning(Conflict):
    code = "charging_session_running"
    title = "The charger is already charging"

    def __init__(self) -> None:
        super().__init__("A charging session is already running. Stop it before starting another.")


class SessionNotFound(NotFound):
    code = "charging_session_not_found"
    title = "No such charging session"

    def __init__(self) -> None:
        super().__init__("There is no such charging session at this charger. Check the link.")


class SessionNotRunning(Conflict):
    code = "charging_session_not_running"
    title = "The session has ended"

    def __init__(self) -> None:
        super().__init__("This charging session has already ended; there is nothing to stop.")


class CommandNotFound(NotFound):
    code = "charger_command_not_found"
    title = "No such command"

    def __init__(self) -> None:
        super().__init__("There is no such command for this charger. Check the link.")


class WindowNotFound(NotFound):
    code = "charging_window_not_found"
    title = "No such charging window"

    def __init__(self) -> None:
        super().__init__("This charger has no charging window with that number.")


class CarNotLinked(InvalidInput):
    code = "car_not_linked"
    title = "This car is not linked to the charger"

    def __init__(self) -> None:
        super().__init__(
            "The car is not one this charger charges. Link it to the charger first, or choose "
            "one of its cars."
        )
