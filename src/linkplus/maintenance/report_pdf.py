"""The monthly health report as an A4 PDF (fpdf2, already the invoices' dependency).

What it holds: the car and the month; the warnings the car showed in that month (when each came
on and went out) with their explanations; the state as last reported when the PDF is made
(tyres, 12 V battery, oil, odometer, trouble codes); the service schedule; the service visits
of that month. Drawn with the built-in Helvetica (Western European text), like the invoices'
fallback: other letters lose their accents.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF

from linkplus.maintenance.explanations import Explanation
from linkplus.maintenance.schemas import HealthReportOut, ServiceDueOut, ServiceRecordOut


@dataclass(frozen=True)
class MonthWarning:
    explanation: Explanation
    raised_at: datetime
    cleared_at: datetime | None


@dataclass(frozen=True)
class MonthlyReport:
    car_name: str
    vin: str
    month: str  # YYYY-MM
    made_at: datetime
    warnings: list[MonthWarning]
    now: HealthReportOut
    due: ServiceDueOut
    visits: list[ServiceRecordOut]


def _safe(text: str) -> str:
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            out.append(base if base and base.isascii() else "?")
    return "".join(out)


class _Sheet(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = "cp1252"
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=20)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("helvetica", "B", 12)
        self.cell(0, 7, _safe(text), new_x="LMARGIN", new_y="NEXT")

    def para(self, text: str, *, bold: bool = False, size: float = 9.5) -> None:
        self.set_font("helvetica", "B" if bold else "", size)
        self.multi_cell(0, 4.8, _safe(text), new_x="LMARGIN", new_y="NEXT")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def render(report: MonthlyReport) -> bytes:
    pdf = _Sheet()
    pdf.set_compression(False)  # the text stays searchable in the file; reports are small
    pdf.set_creation_date(report.made_at)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 9, _safe(f"Health report {report.month}"), new_x="LMARGIN", new_y="NEXT")
    pdf.para(f"{report.car_name}, VIN {report.vin}. Made {_when(report.made_at)}.")

    pdf.heading("Warnings this month")
    if not report.warnings:
        pdf.para("The car showed no warning light and no trouble code this month.")
    for w in report.warnings:
        e = w.explanation
        until = f", off {_when(w.cleared_at)}" if w.cleared_at else ", still on"
        pdf.para(f"{e.title} ({e.code}): on {_when(w.raised_at)}{until}", bold=True)
        pdf.para(f"{e.meaning} What to do: {e.action}")

    now = report.now
    pdf.heading("As last reported")
    if now.reported_at is None:
        pdf.para("The car has not reported its health yet.")
    else:
        pdf.para(f"Reported {_when(now.reported_at)}.")
    for tyre in now.tyres:
        pdf.para(
            f"Tyre {tyre.position.replace('_', ' ')}: {tyre.pressure_kpa} kPa ({tyre.judgement})"
        )
    if now.battery:
        pdf.para(f"12 V battery: {now.battery.voltage:.1f} V ({now.battery.judgement})")
    if now.oil:
        pdf.para(f"Engine oil: {now.oil.words}")
    if now.odometer_km is not None:
        pdf.para(f"Odometer: {now.odometer_km:,.0f} km")
    for code in now.trouble_codes:
        pdf.para(f"Trouble code {code.code}: {code.title}. {code.action}")

    due = report.due
    pdf.heading("Next service")
    distance = f" or at {due.due_km:,.0f} km" if due.due_km is not None else ""
    pdf.para(
        f"Due on {due.due_on.isoformat()}{distance}, whichever comes first "
        f"(every {due.interval_km:,} km or {due.interval_months} months)."
    )

    pdf.heading("Service visits this month")
    if not report.visits:
        pdf.para("None recorded.")
    for visit in report.visits:
        cost = (
            f", {visit.cost_minor / 100:,.2f} {visit.currency}"
            if visit.cost_minor is not None and visit.currency
            else ""
        )
        who = visit.dealer_name or "your own record"
        day = visit.serviced_on.isoformat()
        pdf.para(f"{day} at {visit.odometer_km:,} km ({who}{cost}): {visit.work}")
    return bytes(pdf.output())
