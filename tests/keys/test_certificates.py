"""The key authority, certificates and the car's check, as pure functions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from linkplus.keys import certificates
from linkplus.keys.certificates import BadPublicKey, Certificate, Limits, Refusal

MASTER = b"m" * 32
VIN = "JTHB31B10M2000001"
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # a Saturday


def _certificate(phone: ec.EllipticCurvePrivateKey, **changes: object) -> Certificate:
    fields: dict[str, object] = {
        "key_id": uuid.uuid4(),
        "vin": VIN,
        "role": "full",
        "public_key": certificates.encode_public(phone.public_key()),
        "not_before": certificates.unix(NOW - timedelta(hours=1)),
        "not_after": certificates.unix(NOW + timedelta(days=1)),
        "limits": Limits(),
    }
    fields.update(changes)
    return Certificate(**fields)  # type: ignore[arg-type]


def _check(text: str, phone: ec.EllipticCurvePrivateKey, **kw: object) -> Refusal:
    authority = certificates.authority_key(MASTER, VIN).public_key()
    nonce = b"n" * 32
    args: dict[str, object] = {
        "authority": authority,
        "vin": VIN,
        "certificate": text,
        "nonce": nonce,
        "response": certificates.answer(phone, VIN, nonce),
        "now": NOW,
        "revoked": set(),
        "suspended": False,
    }
    args.update(kw)
    return certificates.check_presentation(**args)[0]  # type: ignore[arg-type]


def test_the_authority_is_fixed_per_car_and_differs_between_cars() -> None:
    first = certificates.authority_key(MASTER, VIN).private_numbers().private_value
    again = certificates.authority_key(MASTER, VIN).private_numbers().private_value
    other = certificates.authority_key(MASTER, "JTHB31B10M2000002").private_numbers()
    assert first == again
    assert first != other.private_value
    assert 0 < first < certificates.ORDER
    assert certificates.authority_key(b"x" * 32, VIN).private_numbers().private_value != first


def test_a_certificate_round_trips_and_opens_only_with_its_phone() -> None:
    phone = ec.generate_private_key(certificates.CURVE)
    text = certificates.issue(certificates.authority_key(MASTER, VIN), _certificate(phone))
    assert text.startswith("lpk1.")
    assert _check(text, phone) is Refusal.ok
    assert _check(text, ec.generate_private_key(certificates.CURVE)) is Refusal.bad_response
    assert _check(text, phone, response="") is Refusal.bad_response
    assert _check(text, phone, response="A" * 86) is Refusal.bad_response


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"not_before": certificates.unix(NOW + timedelta(minutes=1))}, Refusal.not_yet_valid),
        ({"not_after": certificates.unix(NOW)}, Refusal.expired),
        ({"vin": "JTHB31B10M2000002"}, Refusal.wrong_car),
        ({"limits": Limits(days=(1, 2, 3, 4, 5))}, Refusal.outside_hours),
        ({"limits": Limits(hours=(10 * 60, 12 * 60))}, Refusal.outside_hours),
        ({"limits": Limits(hours=(10 * 60, 12 * 60), tz="Europe/Brussels")}, Refusal.ok),
        ({"limits": Limits(hours=(22 * 60, 10 * 60), tz="Europe/Brussels")}, Refusal.outside_hours),
        ({"limits": Limits(hours=(22 * 60, 9 * 60 + 30))}, Refusal.ok),  # over midnight
    ],
)
def test_the_car_judges_validity_car_and_limits(
    change: dict[str, object], refusal: Refusal
) -> None:
    phone = ec.generate_private_key(certificates.CURVE)
    text = certificates.issue(
        certificates.authority_key(MASTER, VIN), _certificate(phone, **change)
    )
    assert _check(text, phone) is refusal


def test_revoked_suspended_forged_and_garbled_certificates_do_not_open() -> None:
    phone = ec.generate_private_key(certificates.CURVE)
    certificate = _certificate(phone)
    text = certificates.issue(certificates.authority_key(MASTER, VIN), certificate)
    assert _check(text, phone, revoked={str(certificate.key_id)}) is Refusal.revoked
    assert _check(text, phone, suspended=True) is Refusal.suspended
    forged = certificates.issue(ec.generate_private_key(certificates.CURVE), certificate)
    assert _check(forged, phone) is Refusal.forged
    for garbled in ("", "lpk1", "lpk1.a.b", "lpk2" + text[4:], text + "x" * 3000, "lpk1.!!.!!"):
        assert _check(garbled, phone) is Refusal.bad_certificate


def test_a_public_key_must_be_a_point_on_p256() -> None:
    phone = ec.generate_private_key(certificates.CURVE)
    good = certificates.encode_public(phone.public_key())
    assert certificates.decode_public(good).public_numbers() == phone.public_key().public_numbers()
    raw = bytearray(certificates.unb64(good))
    raw[-1] ^= 1  # no longer on the curve
    for bad in (certificates.b64(bytes(raw)), good[:-2], "x" * 87, certificates.b64(b"\x02" * 65)):
        with pytest.raises(BadPublicKey):
            certificates.decode_public(bad)
