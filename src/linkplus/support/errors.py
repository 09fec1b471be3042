"""Refusals of the support feature, each with a stable code and what to do."""

from __future__ import annotations

from linkplus.errors import Conflict, InvalidInput, NotFound


class CaseNotFound(NotFound):
    """The one answer for an unknown case and another owner's case."""

    code = "support_case_not_found"
    title = "Support case not found"

    def __init__(self) -> None:
        super().__init__("There is no such support case in your account. Check the link.")


class CaseClosed(Conflict):
    code = "support_case_closed"
    title = "This case is closed"

    def __init__(self) -> None:
        super().__init__("The case is closed. Open a new case from Contact us to write again.")


class CarNotForCategory(InvalidInput):
    code = "support_car_not_for_category"
    title = "This category does not name a car"

    def __init__(self) -> None:
        super().__init__("Leave the car out, or choose a category about a car.")


class InvoiceNotForCategory(InvalidInput):
    code = "support_invoice_not_for_category"
    title = "Only payment cases name an invoice"

    def __init__(self) -> None:
        super().__init__("Leave the invoice out, or choose Payments and invoices.")
