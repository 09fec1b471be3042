"""Refusals of the dealers domain."""

from __future__ import annotations

from linkplus.errors import NotFound


class DealerNotFound(NotFound):
    code = "dealer_not_found"
    title = "Dealer not found"
