from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from linkplus.kit.clock import ManualClock, SystemClock, utc


def test_manual_clock_stands_still_until_moved() -> None:
    start = datetime(2026, 1, 31, 12, tzinfo=UTC)
    clock = ManualClock(start)
    assert clock.now() == clock.now() == start
    assert clock.advance(days=1, hours=2) == start + timedelta(days=1, hours=2)
    clock.set(datetime(2027, 1, 1, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == datetime(2026, 12, 31, 22, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_manual_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_utc_treats_naive_values_as_utc() -> None:
    assert utc(datetime(2026, 5, 1, 8)) == datetime(2026, 5, 1, 8, tzinfo=UTC)
    assert utc(datetime(2026, 5, 1, 10, tzinfo=timezone(timedelta(hours=2)))).hour == 8
