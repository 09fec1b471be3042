"""Refusals of the digital-key API, each with its own code."""

from __future__ import annotations

from linkplus.errors import Conflict, Forbidden, InvalidInput, NotFound


class KeyNotFound(NotFound):
    code = "key_not_found"
    title = "No such key"

    def __init__(self) -> None:
        super().__init__("There is no such key, or it is not yours to see. Check the link.")


class InviteNotFound(NotFound):
    code = "key_invite_not_found"
    title = "No such invitation"

    def __init__(self) -> None:
        super().__init__(
            "There is no such invitation for your account. Sign in with the e-mail address the "
            "invitation was sent to, or ask the owner for a new one."
        )


class ServiceNotActive(Conflict):
    code = "digital_key_not_active"
    title = "The digital key service is not active"

    def __init__(self) -> None:
        super().__init__(
            "The digital key is part of the Remote Connect package. Subscribe to it in the "
            "Connected Services Centre, then try again."
        )


class OwnerKeyExists(Conflict):
    code = "owner_key_exists"
    title = "This car already has an owner key"

    def __init__(self) -> None:
        super().__init__(
            "Your car already has an owner key. Revoke the old one (for example on a lost "
            "phone) before you make a new one."
        )


class TooManyKeys(Conflict):
    code = "too_many_keys"
    title = "Too many keys for this car"

    def __init__(self, cap: int) -> None:
        super().__init__(
            f"A car has at most {cap} keys and open invitations. Revoke a key or cancel an "
            "invitation first."
        )


class KeysSuspended(Conflict):
    code = "keys_suspended"
    title = "Digital keys are suspended"

    def __init__(self) -> None:
        super().__init__(
            "Stolen-vehicle tracking runs for this car: its digital keys are suspended until the "
            "case ends. Nothing can be shared meanwhile."
        )


class CannotShare(Forbidden):
    code = "key_cannot_share"
    title = "This key cannot be shared"

    def __init__(self) -> None:
        super().__init__(
            "Only the owner and full drivers can invite others. Ask the car's owner to invite."
        )


class KeyRevoked(Conflict):
    code = "key_revoked"
    title = "The key is revoked"

    def __init__(self) -> None:
        super().__init__("This key is revoked already; nothing more can be done with it.")


class InviteClosed(Conflict):
    code = "key_invite_closed"
    title = "The invitation is no longer open"

    def __init__(self, why: str) -> None:
        super().__init__(f"{why} Ask the owner for a new invitation.")


class WrongShareCode(Conflict):
    code = "key_wrong_share_code"
    title = "Wrong share code"

    def __init__(self, left: int) -> None:
        super().__init__(
            f"The share code is not right. Ask the person who invited you to read it out "
            f"again ({left} tries left)."
        )


class BadLimits(InvalidInput):
    code = "key_bad_limits"
    title = "These limits do not work"

    def __init__(self, why: str) -> None:
        super().__init__(why)


class BadPublicKey(InvalidInput):
    code = "key_bad_public_key"
    title = "Not a P-256 public key"

    def __init__(self) -> None:
        super().__init__(
            "The public key is not a point on P-256. Send the raw export of an ECDSA P-256 "
            "public key (65 bytes) in unpadded base64url."
        )
