"""Command signatures: a valid one passes, and each way of tampering is refused with its reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from linkplus.config import Settings
from linkplus.protocol.vehicle import Command
from linkplus.remote import signing
from linkplus.remote.signing import ReplayWindow, VerifyOutcome

VIN = "JTHAAAAAAAAAAAAA1"
OTHER_VIN = "JTHBBBBBBBBBBBBB2"
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
KEY = signing.derive_key(b"master-secret", VIN)
NONE = ReplayWindow()  # a car that has accepted no command yet


def command(**changes: object) -> Command:
    base = Command(
        msg_id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
        sent_at=NOW,
        type="climate_start",
        expires_at=NOW + timedelta(seconds=60),
        params={"minutes": 20, "mode": "advanced", "temperature_c": 21.5},
    )
    return base.model_copy(update=changes)


def signed(counter: int = 7, *, key: bytes = KEY, vin: str = VIN, **changes: object) -> Command:
    return signing.sign_command(key, command(**changes), vin=vin, counter=counter)


def test_a_signed_command_verifies_and_names_its_counter() -> None:
    cmd = signed(counter=7)
    assert cmd.signature is not None
    assert cmd.signature.startswith(f"v1.{VIN}.7.")
    assert signing.verify(KEY, cmd, VIN, now=NOW, window=ReplayWindow.up_to(6)) is VerifyOutcome.ok
    assert signing.verify(KEY, cmd, VIN, now=NOW, window=NONE) is VerifyOutcome.ok
    assert signing.counter_of(cmd) == 7


def test_parameters_are_canonical_whatever_their_order() -> None:
    one = signing.canonical_params({"b": 1, "a": {"y": 2, "x": 1}})
    two = signing.canonical_params({"a": {"x": 1, "y": 2}, "b": 1})
    assert one == two == '{"a":{"x":1,"y":2},"b":1}'


def test_each_field_is_bound_by_the_signature() -> None:
    good = signed()
    tampered = [
        good.model_copy(update={"type": "door_unlock"}),
        good.model_copy(update={"params": {**good.params, "temperature_c": 30.0}}),
        good.model_copy(update={"expires_at": good.expires_at + timedelta(hours=1)}),
        good.model_copy(update={"msg_id": uuid.uuid4()}),
    ]
    for cmd in tampered:
        assert signing.verify(KEY, cmd, VIN, now=NOW, window=ReplayWindow.up_to(0)) is (
            VerifyOutcome.bad_signature
        )


def test_a_raised_counter_in_the_signature_text_breaks_the_mac() -> None:
    good = signed(counter=7)
    assert good.signature is not None
    forged = good.signature.replace(f".{7}.", ".99.", 1)
    cmd = good.model_copy(update={"signature": forged})
    window = ReplayWindow.up_to(8)
    assert signing.verify(KEY, cmd, VIN, now=NOW, window=window) is VerifyOutcome.bad_signature


def test_missing_or_garbled_signatures_are_bad() -> None:
    for signature in (None, "", "v2.x", f"v1.{VIN}.7.short", f"v1.{VIN}.-1.{'A' * 43}"):
        cmd = command(signature=signature)
        assert signing.verify(KEY, cmd, VIN, now=NOW, window=NONE) is (VerifyOutcome.bad_signature)


def test_a_command_signed_with_another_key_is_bad() -> None:
    other_key = signing.derive_key(b"another-master", VIN)
    cmd = signed(key=other_key)
    assert signing.verify(KEY, cmd, VIN, now=NOW, window=NONE) is (VerifyOutcome.bad_signature)


def test_a_command_for_another_vin_is_refused_as_such() -> None:
    other_key = signing.derive_key(b"master-secret", OTHER_VIN)
    cmd = signed(key=other_key, vin=OTHER_VIN)
    assert signing.verify(KEY, cmd, VIN, now=NOW, window=NONE) is VerifyOutcome.wrong_vin


def test_an_expired_command_is_refused() -> None:
    cmd = signed()
    later = cmd.expires_at
    assert signing.verify(KEY, cmd, VIN, now=later, window=NONE) is VerifyOutcome.expired
    just_before = later - timedelta(seconds=1)
    assert signing.verify(KEY, cmd, VIN, now=just_before, window=NONE) is VerifyOutcome.ok


def test_the_same_counter_again_is_a_replay_and_one_below_the_window_is_refused() -> None:
    cmd = signed(counter=7)
    assert signing.verify(KEY, cmd, VIN, now=NOW, window=ReplayWindow.up_to(7)) is (
        VerifyOutcome.replayed
    )
    assert signing.verify(KEY, cmd, VIN, now=NOW, window=ReplayWindow.up_to(8)) is (
        VerifyOutcome.replayed
    )
    far_ahead = ReplayWindow().accept(7 + signing.REPLAY_WINDOW)
    assert signing.verify(KEY, cmd, VIN, now=NOW, window=far_ahead) is (
        VerifyOutcome.counter_not_increasing
    )


def test_a_command_that_was_overtaken_is_still_accepted_once() -> None:
    """Counters are reserved when commands are stored, so one left to the send job can reach
    the car after a later one: within the window it is accepted, and only once."""
    window = ReplayWindow().accept(5).accept(9)
    for late in (6, 7, 8):
        assert window.verdict(late) is VerifyOutcome.ok
    window = window.accept(7)
    assert window.verdict(7) is VerifyOutcome.replayed
    assert window.verdict(5) is VerifyOutcome.replayed
    assert window.verdict(9) is VerifyOutcome.replayed
    assert window.verdict(6) is VerifyOutcome.ok
    assert window.verdict(10) is VerifyOutcome.ok
    assert window.highest == 9


@given(st.lists(st.integers(min_value=0, max_value=300), max_size=60))
def test_the_window_accepts_each_counter_at_most_once(counters: list[int]) -> None:
    window = ReplayWindow()
    accepted: set[int] = set()
    for counter in counters:
        if window.verdict(counter) is VerifyOutcome.ok:
            assert counter not in accepted
            accepted.add(counter)
            window = window.accept(counter)
        else:
            assert counter in accepted or counter <= max(accepted) - signing.REPLAY_WINDOW
    if accepted:
        assert window.highest == max(accepted)


def test_each_car_has_its_own_key_derived_from_the_master(tmp_path: object) -> None:
    settings = Settings(secret_key="s" * 40, command_key=None)
    other = Settings(secret_key="t" * 40, command_key=None)
    assert signing.command_key(settings, VIN) != signing.command_key(settings, OTHER_VIN)
    assert signing.command_key(settings, VIN) != signing.command_key(other, VIN)
    assert len(signing.command_key(settings, VIN)) == 32
    explicit = Settings(secret_key="s" * 40, command_key="fleet-master")
    assert signing.command_key(explicit, VIN) == signing.derive_key(b"fleet-master", VIN)
    text = signing.command_key_text(settings, VIN)
    assert signing.key_from_text(text) == signing.command_key(settings, VIN)
