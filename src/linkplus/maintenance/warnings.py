"""Which warnings came on and which went out. Pure.

The car sends the whole list of its lights and of its trouble codes each time; an episode is
open while the lists show it. What is open is compared with what the newest report shows, so a
report arriving twice, or an older report arriving late, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from linkplus.models.maintenance import WarningSource

Key = tuple[WarningSource, str]


@dataclass(frozen=True)
class Change:
    raised: list[Key]
    cleared: list[Key]


def reported(
    lights: Iterable[str] | None, codes: Iterable[str] | None
) -> dict[WarningSource, set[str]]:
    """What the twin shows, per source; a source the car never sent is left out (not "none")."""
    shown: dict[WarningSource, set[str]] = {}
    if lights is not None:
        shown[WarningSource.light] = set(lights)
    if codes is not None:
        shown[WarningSource.code] = set(codes)
    return shown


def compare(open_now: Iterable[Key], shown: dict[WarningSource, set[str]]) -> Change:
    """Raise what is shown and not open; clear what is open and no longer shown. A source the
    car did not report leaves its open warnings as they are."""
    open_set = set(open_now)
    raised = sorted(
        (source, code)
        for source, codes in shown.items()
        for code in codes
        if (source, code) not in open_set
    )
    cleared = sorted(key for key in open_set if key[0] in shown and key[1] not in shown[key[0]])
    return Change(raised, cleared)
