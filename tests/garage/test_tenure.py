"""The rule of "this caller's time with this car" (garage.tenure), as pure values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from linkplus.garage.tenure import tenure_of
from linkplus.kit.spans import Span

ME = uuid.uuid4()
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_a_secondary_account_that_claims_the_car_starts_at_the_claim() -> None:
    mine = tenure_of(ME, linked_since=day(0), past=[], primary_since=day(5))
    assert not mine.covers(day(4))  # the previous owner's days, while I waited as secondary
    assert mine.covers(day(5))
    assert mine.running_since == day(5)


def test_the_account_that_lost_the_car_keeps_its_own_stretch_and_nothing_after() -> None:
    mine = tenure_of(ME, linked_since=day(0), past=[Span(day(0), day(5))], primary_since=None)
    assert mine.covers(day(0))
    assert mine.covers(day(4.9))
    assert not mine.covers(day(5))  # the claim itself is the next owner's
    assert mine.running_since is None


def test_claimed_back_it_is_both_own_stretches_but_not_the_one_between() -> None:
    mine = tenure_of(ME, linked_since=day(0), past=[Span(day(0), day(5))], primary_since=day(9))
    assert [mine.covers(day(d)) for d in (1, 6, 8.9, 9, 30)] == [True, False, False, True, True]


def test_removing_the_car_drops_what_came_before_the_new_link() -> None:
    mine = tenure_of(
        ME,
        linked_since=day(10),
        past=[Span(day(0), day(5)), Span(day(8), day(12))],
        primary_since=day(20),
    )
    assert mine.spans == (Span(day(10), day(12)), Span(day(20)))


def test_owns_needs_both_the_account_and_the_time() -> None:
    mine = tenure_of(ME, linked_since=day(0), past=[], primary_since=day(0))
    assert mine.owns(ME, day(1))
    assert not mine.owns(uuid.uuid4(), day(1))
    assert not mine.owns(None, day(1))
    assert not mine.owns(ME, day(-1))


@given(
    st.lists(st.tuples(st.integers(0, 100), st.integers(1, 20)), max_size=5),
    st.integers(0, 100),
    st.one_of(st.none(), st.integers(0, 120)),
    st.integers(-10, 130),
)
def test_a_moment_is_covered_only_inside_a_stretch_after_the_link(
    stretches: list[tuple[int, int]], linked: int, primary: int | None, moment: int
) -> None:
    past = [Span(day(start), day(start + length)) for start, length in stretches]
    mine = tenure_of(
        ME,
        linked_since=day(linked),
        past=past,
        primary_since=None if primary is None else day(primary),
    )
    at = day(moment)
    expected = at >= day(linked) and (
        any(span.covers(at) for span in past) or (primary is not None and at >= day(primary))
    )
    assert mine.covers(at) == expected
