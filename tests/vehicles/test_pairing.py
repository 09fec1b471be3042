"""Head-unit pairing codes: signed by the car, short-lived, accepted once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from linkplus.errors import ProblemError
from linkplus.kit.clock import ManualClock
from linkplus.models.vehicles import UsedPairingCode
from linkplus.runtime import Runtime
from linkplus.vehicles import pairing, service
from linkplus.vehicles.errors import PairingCodeExpired, PairingCodeInvalid, PairingCodeUsed
from tests.support import START
from tests.vehicles.support import european_vin, make_vehicle

# --- the code itself (pure) ------------------------------------------------------------------


def test_a_code_has_five_fields_and_verifies_with_the_cars_key() -> None:
    key = Ed25519PrivateKey.generate()
    vin = european_vin()
    code = pairing.make_pairing_code(key, vin, now=START)
    fields = code.split(".")
    assert fields[:3] == ["LPQR1", vin, str(int((START + timedelta(minutes=10)).timestamp()))]
    parsed = pairing.parse_pairing_code(code)
    assert parsed.vin == vin
    assert parsed.expires_at == START + timedelta(minutes=10)
    assert parsed.signed_text == ".".join(fields[:4])
    assert pairing.signed_by(parsed, key.public_key())
    assert not pairing.signed_by(parsed, Ed25519PrivateKey.generate().public_key())
    assert not pairing.is_expired(parsed, now=START + timedelta(minutes=9, seconds=59))
    assert pairing.is_expired(parsed, now=START + timedelta(minutes=10))


def test_every_code_has_its_own_nonce() -> None:
    key = Ed25519PrivateKey.generate()
    codes = {pairing.make_pairing_code(key, "JTHBA3BH400000001", now=START) for _ in range(20)}
    assert len({pairing.parse_pairing_code(code).nonce for code in codes}) == 20


def test_public_keys_round_trip_through_their_text_form() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    text = pairing.public_key_text(public)
    assert len(text) == 43
    assert pairing.public_key_text(pairing.load_public_key(text)) == text


@pytest.mark.parametrize(
    "code",
    [
        "",
        "hello",
        "LPQR2.JTHBA3BH400000001.1795251600.abcdefgh." + "A" * 86,
        "LPQR1.JTHBA3BH400000001.1795251600.abcdefgh",
        "LPQR1.JTHBA3BH400000001.soon.abcdefgh." + "A" * 86,
        "LPQR1.JTHBA3BH400000001.1795251600.short." + "A" * 86,
        "LPQR1.JTHBA3BH400000001.1795251600.abcdefgh.not*base64",
        "LPQR1.JTHBA3BH400000001.1795251600.abcdefgh.AAAA",
        "LPQR1.JTHBA3BH40000000Ä.1795251600.abcdefgh." + "A" * 86,
        "LPQR1.JTHBA3BH400000001.99999999999.abcdefgh." + "A" * 86,
    ],
)
def test_text_that_is_not_a_pairing_code_is_refused(code: str) -> None:
    with pytest.raises(pairing.MalformedPairingCode):
        pairing.parse_pairing_code(code)


@given(st.text(max_size=200))
def test_parsing_never_fails_other_than_by_saying_malformed(code: str) -> None:
    try:
        parsed = pairing.parse_pairing_code(code)
    except pairing.MalformedPairingCode:
        return
    assert code.strip().startswith(parsed.signed_text + ".")


# --- verifying against the registry ----------------------------------------------------------


async def verify(runtime: Runtime, code: str) -> str:
    async with runtime.db.transaction() as session:
        return (await service.verify_pairing_code(session, runtime, code)).vin


async def refused(runtime: Runtime, code: str) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        await verify(runtime, code)
    assert caught.value.status == 422
    return caught.value


async def test_a_fresh_code_from_the_car_identifies_it_once(runtime: Runtime) -> None:
    key = Ed25519PrivateKey.generate()
    car = await make_vehicle(runtime, head_unit=key)
    code = pairing.make_pairing_code(key, car.vin, now=runtime.clock.now())
    assert await verify(runtime, code) == car.vin

    again = await refused(runtime, code)
    assert isinstance(again, PairingCodeUsed)
    assert again.code == "pairing_code_used"
    assert "Show a new code" in again.detail
    async with runtime.db.transaction() as session:
        used = await session.scalar(select(func.count()).select_from(UsedPairingCode))
    assert used == 1


async def test_a_new_code_from_the_same_car_works_after_one_was_used(runtime: Runtime) -> None:
    key = Ed25519PrivateKey.generate()
    car = await make_vehicle(runtime, head_unit=key)
    for _ in range(2):
        code = pairing.make_pairing_code(key, car.vin, now=runtime.clock.now())
        assert await verify(runtime, code) == car.vin


async def test_an_expired_code_is_refused(runtime: Runtime, clock: ManualClock) -> None:
    key = Ed25519PrivateKey.generate()
    car = await make_vehicle(runtime, head_unit=key)
    code = pairing.make_pairing_code(key, car.vin, now=clock.now())
    clock.advance(minutes=10)
    problem = await refused(runtime, code)
    assert isinstance(problem, PairingCodeExpired)
    assert problem.code == "pairing_code_expired"
    assert "expired" in problem.detail


async def test_a_code_that_claims_to_live_for_days_is_refused(runtime: Runtime) -> None:
    key = Ed25519PrivateKey.generate()
    car = await make_vehicle(runtime, head_unit=key)
    code = pairing.make_pairing_code(key, car.vin, now=runtime.clock.now(), ttl=timedelta(days=3))
    assert isinstance(await refused(runtime, code), PairingCodeInvalid)


async def test_a_code_signed_by_another_cars_head_unit_is_refused(runtime: Runtime) -> None:
    key, other_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    car = await make_vehicle(runtime, head_unit=key)
    await make_vehicle(runtime, head_unit=other_key)
    code = pairing.make_pairing_code(other_key, car.vin, now=runtime.clock.now())
    problem = await refused(runtime, code)
    assert isinstance(problem, PairingCodeInvalid)
    assert problem.code == "pairing_code_invalid"


async def test_a_code_for_another_vin_is_refused(runtime: Runtime) -> None:
    """The other car's genuine code, with this car's VIN put in: the signature no longer fits."""
    key, other_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    car = await make_vehicle(runtime, head_unit=key)
    other = await make_vehicle(runtime, head_unit=other_key)
    code = pairing.make_pairing_code(other_key, other.vin, now=runtime.clock.now())
    swapped = code.replace(other.vin, car.vin)
    assert isinstance(await refused(runtime, swapped), PairingCodeInvalid)
    # The genuine code still works for the car that showed it.
    assert await verify(runtime, code) == other.vin


@pytest.mark.parametrize("field", [2, 3])
async def test_a_tampered_code_is_refused(runtime: Runtime, field: int) -> None:
    key = Ed25519PrivateKey.generate()
    car = await make_vehicle(runtime, head_unit=key)
    parts = pairing.make_pairing_code(key, car.vin, now=runtime.clock.now()).split(".")
    # A later expiry, or another nonce to get around single use.
    parts[field] = str(int(parts[2]) + 600) if field == 2 else "somebodyelse"
    assert isinstance(await refused(runtime, ".".join(parts)), PairingCodeInvalid)


async def test_a_car_without_a_head_unit_has_no_valid_codes(runtime: Runtime) -> None:
    car = await make_vehicle(runtime, head_unit=None)
    code = pairing.make_pairing_code(Ed25519PrivateKey.generate(), car.vin, now=runtime.clock.now())
    problem = await refused(runtime, code)
    assert isinstance(problem, PairingCodeInvalid)


async def test_unknown_vins_and_garbage_get_the_same_answer_as_a_forged_code(
    runtime: Runtime,
) -> None:
    key = Ed25519PrivateKey.generate()
    car = await make_vehicle(runtime, head_unit=key)
    forged = pairing.make_pairing_code(Ed25519PrivateKey.generate(), car.vin, now=START)
    unknown = pairing.make_pairing_code(key, european_vin(), now=START)
    bad_vin = pairing.make_pairing_code(key, "JTHBA3BH4O0000001", now=START)
    answers = [await refused(runtime, code) for code in [forged, unknown, bad_vin, "not a code"]]
    assert {(type(a), a.detail) for a in answers} == {(PairingCodeInvalid, answers[0].detail)}
