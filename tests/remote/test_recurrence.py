"""Next occurrence of climate schedules on the local calendar, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from linkplus.remote.recurrence import Kind, Recurrence, is_timezone, next_occurrence, parse_time


def weekly(days: set[int], at: str, tz: str = "Europe/Vienna") -> Recurrence:
    return Recurrence(Kind.weekly, parse_time(at), tz, weekdays=frozenset(days))


def test_weekly_finds_the_next_listed_day() -> None:
    saturday_morning = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # 10:00 in Vienna
    found = next_occurrence(weekly({0}, "07:30"), after=saturday_morning)
    assert found == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # Monday 07:30 CET


def test_weekly_same_day_later_and_strictly_after() -> None:
    at = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)  # Saturday 07:30 CET exactly
    found = next_occurrence(weekly({5}, "07:30"), after=at)
    assert found == datetime(2026, 11, 28, 6, 30, tzinfo=UTC)
    earlier = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
    assert next_occurrence(weekly({5}, "07:30"), after=earlier) == at


def test_the_local_time_stays_across_daylight_saving() -> None:
    before_change = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # Friday; clocks go forward Sunday
    found = next_occurrence(weekly({0}, "07:30"), after=before_change)
    assert found == datetime(2026, 3, 30, 5, 30, tzinfo=UTC)  # 07:30 CEST


def test_once_runs_on_its_day_then_never() -> None:
    rule = Recurrence(Kind.once, time(6, 0), "UTC", on_date=date(2026, 11, 22))
    now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert next_occurrence(rule, after=now) == datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    assert next_occurrence(rule, after=datetime(2026, 11, 22, 6, 0, tzinfo=UTC)) is None


def test_timezones_are_checked() -> None:
    assert is_timezone("Europe/Vienna")
    assert not is_timezone("Mars/Olympus")
