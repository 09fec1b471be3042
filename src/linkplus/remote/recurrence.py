"""When a climate schedule runs next: pure calendar arithmetic in the schedule's own timezone.

A schedule says "07:30 on weekdays in Europe/Vienna", not "05:30 UTC": the next occurrence is
found on the local calendar and only then turned into an instant, so it keeps its local time
across daylight-saving changes. A local time that does not exist on a spring-forward day runs at
the same wall-clock reading after the jump (``zoneinfo``'s fold-0 reading); one that occurs twice
in autumn runs at the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class Kind(StrEnum):
    weekly = "weekly"
    once = "once"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Recurrence:
    kind: Kind
    at: time
    timezone: str
    weekdays: frozenset[int] = frozenset()  # 0 Monday .. 6 Sunday; weekly only
    on_date: date | None = None  # once only


def is_timezone(name: str) -> bool:
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_time(text: str) -> time:
    """``HH:MM`` (24 h); ValueError otherwise."""
    if len(text) != 5 or text[2] != ":":
        raise ValueError("expected HH:MM")
    hour, minute = int(text[:2]), int(text[3:])
    return time(hour, minute)


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, at).replace(tzinfo=zone)
    # Round-trip through UTC so a non-existent local time lands on a real instant.
    return local.astimezone(UTC)


def next_occurrence(recurrence: Recurrence, *, after: datetime) -> datetime | None:
    """The first run strictly after ``after`` (UTC); None when a one-off has passed."""
    zone = ZoneInfo(recurrence.timezone)
    if recurrence.kind is Kind.once:
        if recurrence.on_date is None:
            return None
        instant = _instant(recurrence.on_date, recurrence.at, zone)
        return instant if instant > after else None
    if not recurrence.weekdays:
        return None
    today = after.astimezone(zone).date()
    for offset in range(8):
        day = today + timedelta(days=offset)
        if day.weekday() not in recurrence.weekdays:
            continue
        instant = _instant(day, recurrence.at, zone)
        if instant > after:
            return instant
    return None  # pragma: no cover - a weekday recurs within 8 days
