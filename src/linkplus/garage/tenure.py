"""This caller's time with this car: the rule that scopes every per-car read (docs/garage.md,
"Whose data").

A car's history (commands, trips, positions, alerts, status values, privacy-mode changes,
schedules, subscriptions) belongs to the account that was the car's primary account when it
happened. An account's tenure is the stretches during which it was the primary account, counted
only since its present link to the car began: removing a car is the owner's "delete my data"
(seed 000), so a car removed and added again starts afresh. A secondary account that becomes
primary gets the time from its claim on, never the time it waited as secondary; the account
that lost the role keeps its own stretches (its own past stays its own) but nothing after.

Pure: values in, values out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from linkplus.kit.spans import Span


@dataclass(frozen=True)
class Tenure:
    """The stretches during which ``account_id`` had this car as its primary account."""

    account_id: uuid.UUID
    spans: tuple[Span, ...]

    def covers(self, moment: datetime) -> bool:
        """Whether something that happened at ``moment`` belongs to this account's time."""
        return any(span.covers(moment) for span in self.spans)

    def owns(self, account_id: uuid.UUID | None, moment: datetime) -> bool:
        """A record made by ``account_id`` at ``moment`` is this account's own, in its time."""
        return account_id == self.account_id and self.covers(moment)

    @property
    def running_since(self) -> datetime | None:
        """When the running stretch began (None: not the primary account now)."""
        return next((span.start for span in self.spans if span.end is None), None)


def tenure_of(
    account_id: uuid.UUID,
    *,
    linked_since: datetime,
    past: Iterable[Span],
    primary_since: datetime | None,
) -> Tenure:
    """``past``: the ended primary stretches of this account with this car; ``primary_since``:
    when its running stretch began (None when it is not the primary account now);
    ``linked_since``: when the car entered the account's garage this time. Stretches before
    that belong to an earlier link and are dropped; one that straddles it is cut there."""
    spans = [
        Span(max(span.start, linked_since), span.end)
        for span in past
        if span.end is not None and span.end > linked_since
    ]
    if primary_since is not None:
        spans.append(Span(max(primary_since, linked_since)))
    return Tenure(account_id, tuple(sorted(spans, key=lambda span: span.start)))
