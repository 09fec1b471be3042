"""The simulated car's digital-key reader and a simulated phone (docs/keys.md).

One ``KeyReader`` per unit (``KeyReader.of(unit)``), provisioned at the factory with the public
key of the car's key authority. The short-range channel (BLE or NFC on a real car) is a plain
method call here: ``challenge`` hands out a fresh nonce, ``present`` takes the phone's
certificate and signed answer. Nothing in it needs the network: a car out of coverage opens for
a valid key all the same, and its status (doors unlocked) waits in the unit's outbox.

The reader keeps the keys it has let in (``authorised``) and the revoked ones (``revoked``),
which the platform sends as the signed ``key_revoke`` command (checked by the unit like every
signed command before it reaches ``key_revoke`` here). While stolen-vehicle tracking runs
(``tracking_start`` until ``tracking_stop``) every key is refused as ``suspended``. It judges
validity, days and hours by the car's own clock. When a key with a speed limit opens the car,
the car applies the limit (``VehicleState.speed_cap_kmh``) and reports it
(``Vehicle.Private.LinkPlus.DigitalKey.MaxSpeed``) until a key without one opens it.
"""

from __future__ import annotations

import secrets
import weakref
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

import structlog
from cryptography.hazmat.primitives.asymmetric import ec

from linkplus.keys import certificates
from linkplus.keys.certificates import Certificate, Refusal
from linkplus.keys.rules import KEY_REVOKE
from linkplus.protocol.vehicle import Command, CommandStatus
from linkplus.seams import nearby as short_range
from linkplus.sim.safety import tracking_active
from linkplus.sim.unit import CommandHandler, TelematicsUnit

log = structlog.get_logger("linkplus.sim.keys")

MAX_OPEN_CHALLENGES = 16
"""Nonces handed out and not yet answered; the oldest is dropped beyond this."""


@dataclass
class _Challenge:
    issued_at: datetime
    used: bool = False


@dataclass
class Opening:
    """What one presentation came to, for tests and the demo."""

    refusal: Refusal
    key_id: str | None
    at: datetime


class KeyReader:
    _readers: ClassVar[weakref.WeakKeyDictionary[TelematicsUnit, KeyReader]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, unit: TelematicsUnit, authority: ec.EllipticCurvePublicKey) -> None:
        self.unit = unit
        self.vin = unit.vin
        self.authority = authority
        self.authorised: dict[str, Certificate] = {}
        self.revoked: set[str] = set()
        self.openings: deque[Opening] = deque(maxlen=1000)
        self._challenges: dict[bytes, _Challenge] = {}

    @classmethod
    def provision(cls, unit: TelematicsUnit, authority_public: str) -> KeyReader:
        """Fit the unit with a reader trusting this key authority (the factory's step)."""
        reader = cls(unit, certificates.decode_public(authority_public))
        cls._readers[unit] = reader
        short_range.place(reader)  # the demo's phone (the web app) can reach it
        return reader

    @classmethod
    def of(cls, unit: TelematicsUnit) -> KeyReader:
        reader = cls._readers.get(unit)
        if reader is None:
            raise LookupError(f"{unit.vin} has no digital-key reader")
        return reader

    # --- the short-range channel ---------------------------------------------------------------

    def challenge(self) -> bytes:
        """A fresh nonce for the phone to sign (good for one answer, ``CHALLENGE_LIFETIME``)."""
        nonce = secrets.token_bytes(certificates.NONCE_BYTES)
        if len(self._challenges) >= MAX_OPEN_CHALLENGES:
            oldest = min(self._challenges, key=lambda n: self._challenges[n].issued_at)
            del self._challenges[oldest]
        self._challenges[nonce] = _Challenge(self.unit.clock.now())
        return nonce

    def check(
        self, certificate: str, nonce: bytes, response: str
    ) -> tuple[Refusal, Certificate | None]:
        """The car's whole check of a phone's answer (the nonce is spent), without acting on
        it: what ``bench/keys.py`` times."""
        now = self.unit.clock.now()
        verdict, found = self._judge(certificate, nonce, response, now)
        self.openings.append(Opening(verdict, str(found.key_id) if found else None, now))
        return verdict, found

    def present(self, certificate: str, nonce: bytes, response: str) -> Refusal:
        """The phone's certificate and answer; on ``ok`` the car unlocks and reports it."""
        now = self.unit.clock.now()
        verdict, found = self.check(certificate, nonce, response)
        if verdict is not Refusal.ok or found is None:
            log.info("sim_key_refused", vin=self.vin, reason=verdict.value)
            return verdict
        self.authorised[str(found.key_id)] = found
        car = self.unit.car
        car.advance(now)
        car.state.unlock()
        car.state.speed_cap_kmh = found.limits.max_speed_kmh
        self.unit.send_status(now)
        log.info("sim_key_opened", vin=self.vin, key_id=str(found.key_id), role=found.role)
        return verdict

    def _judge(
        self, certificate: str, nonce: bytes, response: str, now: datetime
    ) -> tuple[Refusal, Certificate | None]:
        pending = self._challenges.get(nonce)
        if pending is None:
            return Refusal.unknown_challenge, None
        if pending.used:
            return Refusal.replayed, None
        pending.used = True
        if now - pending.issued_at > certificates.CHALLENGE_LIFETIME:
            return Refusal.challenge_expired, None
        return certificates.check_presentation(
            authority=self.authority,
            vin=self.vin,
            certificate=certificate,
            nonce=nonce,
            response=response,
            now=now,
            revoked=self.revoked,
            suspended=tracking_active(self.unit),
        )

    def revoke(self, key_ids: list[str]) -> None:
        for key_id in key_ids:
            self.revoked.add(key_id)
            self.authorised.pop(key_id, None)


def _key_ids(command: Command) -> list[str] | None:
    found = command.params.get("key_ids")
    if not isinstance(found, list) or not found or len(found) > 1000:
        return None
    if not all(isinstance(item, str) and len(item) <= 64 for item in found):
        return None
    return [str(item) for item in found]


async def key_revoke(unit: TelematicsUnit, command: Command) -> None:
    """``key_revoke`` (already verified: signature, counter, expiry): withdraw the keys, then
    acknowledge. Keys the car has never seen are remembered too: a certificate presented later
    is refused."""
    now = unit.clock.now()
    key_ids = _key_ids(command)
    if key_ids is None:
        unit.report(command.msg_id, CommandStatus.rejected, at=now, reason="bad_params")
        return
    unit.report(command.msg_id, CommandStatus.received, at=now)
    KeyReader.of(unit).revoke(key_ids)
    unit.report(command.msg_id, CommandStatus.succeeded, at=now)


KEY_HANDLERS: dict[str, CommandHandler] = {KEY_REVOKE: key_revoke}
"""The digital-key commands, by their protocol names."""


@dataclass
class SimulatedPhone:
    """A phone with its own key pair (the web app keeps its private key non-extractable in
    IndexedDB; this one keeps it in memory) and the certificates the platform gave it."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(certificates.CURVE)
    )
    certificates: dict[str, str] = field(default_factory=dict)  # VIN -> certificate

    @property
    def public_key(self) -> str:
        return certificates.encode_public(self.private_key.public_key())

    def answer(self, vin: str, nonce: bytes) -> str:
        return certificates.answer(self.private_key, vin, nonce)

    def open(self, reader: KeyReader, *, vin: str | None = None) -> Refusal:
        """Walk up to the car and open it: challenge, answer, present."""
        certificate = self.certificates.get(vin or reader.vin, "")
        nonce = reader.challenge()
        return reader.present(certificate, nonce, self.answer(reader.vin, nonce))
