"""The sign-in throttle: free mistakes, exponential back-off, the hourly cap; and the hourly cap on
registrations per client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkplus.accounts import throttle
from linkplus.accounts.throttle import (
    MAX_REGISTRATIONS_PER_HOUR,
    HourlyCount,
    ThrottleState,
    check_registration,
    client_key,
    record_registration,
)

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _fail_many(
    count: int, start: datetime = T0, step: timedelta = timedelta(0)
) -> tuple[ThrottleState | None, datetime]:
    """``count`` failures, each as soon as the throttle allows (plus ``step``)."""
    state: ThrottleState | None = None
    now = start
    for _ in range(count):
        decision = throttle.check(state, now)
        if not decision.allowed:
            assert decision.retry_at is not None
            now = decision.retry_at
        state = throttle.record_failure(state, now)
        now += step
    return state, now


def test_first_five_failures_cost_nothing() -> None:
    state, now = _fail_many(5)
    assert state is not None
    assert state.consecutive_failures == 5
    assert throttle.check(state, now).allowed


def test_back_off_doubles_from_one_second() -> None:
    delays = [throttle.backoff_delay(n).total_seconds() for n in range(1, 12)]
    assert delays == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32]


def test_back_off_is_capped_at_fifteen_minutes() -> None:
    assert throttle.backoff_delay(16) == timedelta(minutes=15)
    assert throttle.backoff_delay(10_000) == timedelta(minutes=15)


def test_sixth_failure_blocks_even_a_correct_password_until_it_runs_out() -> None:
    state, now = _fail_many(8)  # the 8th failure blocks for 4 s
    decision = throttle.check(state, now)
    assert not decision.allowed
    assert decision.retry_after_seconds(now) == 4
    assert not throttle.check(state, now + timedelta(seconds=3.5)).allowed
    assert throttle.check(state, now + timedelta(seconds=4)).allowed


def test_success_resets_the_run_but_not_the_hourly_count() -> None:
    state, now = _fail_many(7)
    assert state is not None
    now += timedelta(seconds=10)
    after = throttle.record_success(state, now)
    assert after.consecutive_failures == 0
    assert after.blocked_until is None
    assert after.failures_in_window == 7
    assert throttle.check(after, now).allowed


def _fail_then_succeed(state: ThrottleState | None, now: datetime, times: int) -> ThrottleState:
    for _ in range(times):
        state = throttle.record_failure(state, now)
    assert state is not None
    return throttle.record_success(state, now)


def test_hundred_failures_in_an_hour_close_the_account() -> None:
    # Five mistakes at a time, each time followed by the real owner signing in: no back-off,
    # so only the hourly cap stops the guessing.
    state: ThrottleState | None = None
    now = T0
    for _ in range(20):
        state = _fail_then_succeed(state, now, 5)
        now += timedelta(minutes=1)
    assert state is not None
    assert state.failures_in_window == 100
    decision = throttle.check(state, now)
    assert not decision.allowed
    # The window after a full one still counts it, so the cap lifts after two windows.
    assert decision.retry_at == T0 + timedelta(hours=2)
    assert not throttle.check(state, T0 + timedelta(hours=1, minutes=30)).allowed
    assert throttle.check(state, T0 + timedelta(hours=2)).allowed


def test_cap_counts_the_previous_hour_too() -> None:
    # 100 failures at the very end of one window must not allow 100 more just after it.
    state: ThrottleState | None = throttle.ThrottleState.fresh(T0)
    late = T0 + timedelta(minutes=59)
    state = _fail_then_succeed(state, late, 5)
    for _ in range(19):
        state = _fail_then_succeed(state, late, 5)
    just_after = T0 + timedelta(hours=1, minutes=1)
    decision = throttle.check(state, just_after)
    assert not decision.allowed
    assert decision.retry_at == T0 + timedelta(hours=2)


def test_two_quiet_hours_start_afresh() -> None:
    state, now = _fail_many(12)
    assert state is not None
    quiet = now + timedelta(hours=2, minutes=1)
    assert throttle.check(state, quiet).allowed
    after = throttle.record_failure(throttle.record_success(state, quiet), quiet)
    assert after.failures_in_window == 1
    assert after.previous_window_failures == 0


# One step: a pause, a run of wrong passwords (each tried as soon as allowed... or not), and
# perhaps the owner signing in. Runs of at most five followed by a success dodge the back-off,
# which is how an attacker sharing an account with its active owner would reach the cap.
_step = st.tuples(
    st.sampled_from([0, 0, 1, 30, 600, 1800, 3599, 3600, 7200]),
    st.integers(min_value=0, max_value=8),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_step, min_size=1, max_size=120))
@example(steps=[(0, 5, True)] * 25)  # straight into the cap
@example(steps=[(3599, 0, False)] + [(0, 5, True)] * 20 + [(1, 5, True)] * 20)  # across a boundary
@example(steps=[(0, 8, False)] * 30 + [(3600, 5, True)] * 40)
def test_never_more_than_100_failures_in_any_rolling_hour(
    steps: list[tuple[int, int, bool]],
) -> None:
    state: ThrottleState | None = None
    now = T0
    counted: list[datetime] = []
    for gap, failures, then_success in steps:
        now += timedelta(seconds=gap)
        for _ in range(failures):
            if throttle.check(state, now).allowed:
                state = throttle.record_failure(state, now)
                counted.append(now)
            else:
                now += timedelta(seconds=1)  # refused without looking at the password
            assert state is not None
            assert state.failures_in_window <= throttle.MAX_FAILURES_PER_HOUR
        if then_success and state is not None and throttle.check(state, now).allowed:
            state = throttle.record_success(state, now)
    for start in counted:
        in_hour = [t for t in counted if start <= t < start + timedelta(hours=1)]
        assert len(in_hour) <= throttle.MAX_FAILURES_PER_HOUR


# --- registrations per client -----------------------------------------------------------------


def test_registrations_are_capped_per_rolling_hour() -> None:
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    count: HourlyCount | None = None
    for minute in range(MAX_REGISTRATIONS_PER_HOUR):
        now = start + timedelta(minutes=minute)
        assert check_registration(count, now).allowed
        count = record_registration(count, now)
    refused = check_registration(count, start + timedelta(minutes=30))
    assert not refused.allowed
    # All ten are in this window and still count in the next one (the two-window cap).
    assert refused.retry_at == start + timedelta(hours=2)
    assert refused.retry_after_seconds(start + timedelta(minutes=30)) == 90 * 60
    assert not check_registration(count, start + timedelta(hours=2) - timedelta(seconds=1)).allowed
    assert check_registration(count, start + timedelta(hours=2)).allowed


@given(gaps=st.lists(st.integers(min_value=0, max_value=7_200), min_size=1, max_size=60))
def test_no_rolling_hour_holds_more_registrations_than_the_cap(gaps: list[int]) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    count: HourlyCount | None = None
    accepted: list[datetime] = []
    for gap in gaps:
        now += timedelta(seconds=gap)
        if check_registration(count, now).allowed:
            count = record_registration(count, now)
            accepted.append(now)
    for moment in accepted:
        in_hour = [m for m in accepted if moment <= m < moment + timedelta(hours=1)]
        assert len(in_hour) <= MAX_REGISTRATIONS_PER_HOUR


def test_a_client_is_its_ip_address_and_an_ipv6_client_its_64_network() -> None:
    assert client_key("203.0.113.5") == "203.0.113.5"
    assert client_key("::ffff:203.0.113.5") == "203.0.113.5"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key(None) == client_key("") == "unknown"
