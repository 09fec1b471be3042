"""Stretches of time: ``[start, end)``, with no end while the stretch still runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime | None = None  # None: still running

    def covers(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in the stretch (the start counts, the end does not)."""
        return self.start <= moment and (self.end is None or moment < self.end)
