"""Weekly charging windows: the weekdays as a bit mask, times of day as minutes. Pure."""

from __future__ import annotations

from collections.abc import Iterable

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def days_mask(days: Iterable[str]) -> int:
    mask = 0
    for day in days:
        mask |= 1 << WEEKDAYS.index(day)
    return mask


def days_of(mask: int) -> list[str]:
    return [day for index, day in enumerate(WEEKDAYS) if mask & (1 << index)]


def minute_of(hour: int, minute: int) -> int:
    return hour * 60 + minute


def hour_minute(minutes: int) -> tuple[int, int]:
    return divmod(minutes, 60)


def is_open(*, weekday: int, minute: int, start: int, end: int | None, mask: int) -> bool:
    """Whether a window (start/end in minutes after midnight, ``mask`` its days) is open at
    ``minute`` of ``weekday`` (0 Monday). A window whose end is before its start runs past
    midnight into the next day and counts for the day it starts; one without an end is open from
    its start to midnight."""
    yesterday = (weekday - 1) % 7
    if end is None:
        return bool(mask & (1 << weekday)) and minute >= start
    if start <= end:
        return bool(mask & (1 << weekday)) and start <= minute < end
    return (bool(mask & (1 << weekday)) and minute >= start) or (
        bool(mask & (1 << yesterday)) and minute < end
    )
