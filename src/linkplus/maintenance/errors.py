"""Refusals of the maintenance feature, each with a stable code and what to do."""

from __future__ import annotations

from linkplus.errors import InvalidInput, NotFound


class ServiceDateInFuture(InvalidInput):
    code = "service_date_in_future"
    title = "The service date lies in the future"

    def __init__(self) -> None:
        super().__init__("Enter the day the work was done: today or earlier.")


class CostWithoutCurrency(InvalidInput):
    code = "cost_without_currency"
    title = "A cost needs its currency"

    def __init__(self) -> None:
        super().__init__("Give the currency (for example EUR) with the cost, or leave both out.")


class UnknownDealer(InvalidInput):
    code = "unknown_dealer"
    title = "No such dealer"

    def __init__(self) -> None:
        super().__init__("Use the id of a dealer from the dealer directory (for example de-muc-1).")


class ReportMonthNotFound(NotFound):
    code = "health_report_month_not_found"
    title = "No report for this month"

    def __init__(self) -> None:
        super().__init__("Ask for a month that has ended, within your time with the car (YYYY-MM).")
