"""An A4 PDF of an issued invoice or credit note, drawn from the stored document.

Nothing is stored: the same document always gives the same bytes (the PDF's dates are the
issue date, the file id derives from the content), so a download today and one in five years
are the same file. Amounts, dates, country names and the VAT rate are formatted with babel for
the buyer's locale recorded on the document.

Text needs a Unicode font for names such as "Łódź" or a tax named "ΦΠΑ": DejaVu Sans is used
where the system has it (Debian/Ubuntu ``fonts-dejavu-core``). Without it the PDF falls back to
the built-in Helvetica, which holds Western European text (Windows-1252, with the euro sign);
other letters lose their accents or show as "?".
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_percent
from fpdf import FPDF

from linkplus.invoices.schemas import AmountOut, DocumentOut, LineOut
from linkplus.models.invoices import DocumentKind

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),  # Arch
    Path("/usr/local/share/fonts/dejavu"),
)
_UNICODE = "dejavu"
_CORE = "helvetica"
_GREY = (110, 110, 110)
_BLACK = (0, 0, 0)
_LINE = (190, 190, 190)

_TITLE = {DocumentKind.invoice: "Invoice", DocumentKind.credit_note: "Credit note"}


def unicode_font_files() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold, if this system has them."""
    for directory in _FONT_DIRS:
        regular, bold = directory / "DejaVuSans.ttf", directory / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def file_name(document: DocumentOut) -> str:
    return f"{document.number}.pdf"


def _to_cp1252(text: str) -> str:
    """``text`` in what the built-in fonts can draw: accents dropped where needed, else "?"."""
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        try:
            base.encode("cp1252")
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}.get(char, "?"))
    return "".join(out)


class _Sheet(FPDF):
    """The page with one font family and text made safe for it."""

    def __init__(self, *, unicode_fonts: bool) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        files = unicode_font_files() if unicode_fonts else None
        if files is not None:
            self.add_font(_UNICODE, "", str(files[0]))
            self.add_font(_UNICODE, "B", str(files[1]))
            self._family = _UNICODE
        else:
            self.core_fonts_encoding = "cp1252"
            self._family = _CORE
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=22)

    def safe(self, text: str) -> str:
        return text if self._family == _UNICODE else _to_cp1252(text)

    def style(self, size: float, *, bold: bool = False, grey: bool = False) -> None:
        self.set_font(self._family, "B" if bold else "", size)
        self.set_text_color(*(_GREY if grey else _BLACK))

    def line_of_text(
        self, text: str, *, width: float = 0, height: float = 4.6, align: str = "L"
    ) -> None:
        self.cell(width, height, self.safe(text), align=align, new_x="LMARGIN", new_y="NEXT")


def _country(code: str, locale: Locale) -> str:
    return str(locale.territories.get(code, code))


def _period(line: LineOut, locale: Locale) -> str:
    if line.period_start is None or line.period_end is None:
        return ""
    last_day = line.period_end - timedelta(days=1)
    start = format_date(line.period_start, "short", locale=locale)
    return f"{start} – {format_date(last_day, 'short', locale=locale)}"


def _display(amount: AmountOut) -> str:
    return amount.display


def render_pdf(document: DocumentOut, *, unicode_fonts: bool = True) -> bytes:
    """The document as PDF bytes. ``unicode_fonts=False`` forces the built-in font (tests)."""
    locale = Locale.parse(document.locale)
    kind = DocumentKind(document.kind)
    pdf = _Sheet(unicode_fonts=unicode_fonts)
    pdf.set_compression(False)  # text stays searchable in the file; invoices are small
    issued = datetime(
        document.issued_on.year, document.issued_on.month, document.issued_on.day, tzinfo=UTC
    )
    pdf.set_creation_date(issued)
    pdf.set_title(pdf.safe(f"{_TITLE[kind]} {document.number}"))
    pdf.set_author(pdf.safe(document.seller.legal_name))
    pdf.set_creator("linkplus")
    pdf.add_page()
    width = pdf.epw

    # Heading: the seller on the left, what and which on the right.
    top = pdf.get_y()
    pdf.style(13, bold=True)
    pdf.line_of_text(document.seller.legal_name, width=width * 0.62, height=6)
    pdf.style(8.5, grey=True)
    seller = document.seller
    for text in (
        seller.street,
        f"{seller.postcode} {seller.city}",
        _country(seller.country, locale),
        f"VAT ID: {seller.vat_id}",
        seller.registration,
        seller.email,
    ):
        pdf.line_of_text(text, width=width * 0.62, height=4)
    below_seller = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width * 0.62, top)
    pdf.style(20, bold=True)
    pdf.cell(width * 0.38, 9, pdf.safe(_TITLE[kind]), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(below_seller, pdf.get_y()) + 10)

    # Buyer on the left, the document's facts on the right.
    block = pdf.get_y()
    pdf.style(8.5, grey=True)
    pdf.line_of_text("Billed to", width=width * 0.5)
    pdf.style(10)
    buyer = document.buyer
    buyer_lines = [
        buyer.name,
        buyer.street,
        f"{buyer.postcode} {buyer.city}",
        _country(buyer.country, locale),
    ]
    if buyer.vat_id:
        buyer_lines.append(f"VAT ID: {buyer.vat_id}")
    for text in buyer_lines:
        pdf.line_of_text(text, width=width * 0.5, height=5)
    below_buyer = pdf.get_y()
    facts = [
        ("Credit note no." if kind is DocumentKind.credit_note else "Invoice no.", document.number),
        ("Date of issue", format_date(document.issued_on, "long", locale=locale)),
        ("Payment reference", document.payment_reference),
    ]
    if document.corrects_number:
        facts.append(("Corrects invoice", document.corrects_number))
    if document.reason:
        facts.append(("Reason", document.reason))
    pdf.set_y(block)
    for label, value in facts:
        pdf.set_x(pdf.l_margin + width * 0.5)
        pdf.style(8.5, grey=True)
        pdf.cell(width * 0.18, 5, pdf.safe(label))
        pdf.style(10, bold=label.endswith("no."))
        pdf.multi_cell(width * 0.32, 5, pdf.safe(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(below_buyer, pdf.get_y()) + 10)

    # The lines.
    rate = format_percent(document.vat_rate, locale=locale)
    columns = [
        ("Description", 0.40, "L"),
        ("Service period", 0.22, "L"),
        ("Net", 0.13, "R"),
        (f"{document.tax_name} {rate}", 0.12, "R"),
        ("Amount", 0.13, "R"),
    ]
    pdf.style(8.5, bold=True)
    for title, share, align in columns:
        pdf.cell(width * share, 6, pdf.safe(title), align=align)
    pdf.ln(6)
    pdf.set_draw_color(*_LINE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(1.5)
    for line in document.lines:
        pdf.style(9.5)
        values = [
            line.description,
            _period(line, locale),
            _display(line.net),
            _display(line.vat),
            _display(line.gross),
        ]
        row_top = pdf.get_y()
        # A long description wraps inside its column; the other cells stay on its first line.
        pdf.multi_cell(width * columns[0][1], 5.5, pdf.safe(values[0]), align="L", new_x="LMARGIN")
        below = pdf.get_y()
        pdf.set_xy(pdf.l_margin + width * columns[0][1], row_top)
        for (_, share, align), value in zip(columns[1:], values[1:], strict=True):
            pdf.cell(width * share, 5.5, pdf.safe(value), align=align)
        pdf.set_xy(pdf.l_margin, max(below, row_top + 5.5))
        detail = ", ".join(
            part
            for part in (
                f"VIN {line.vin}" if line.vin else "",
                f"package {line.package}" if line.package else "",
            )
            if part
        )
        if detail:
            pdf.style(8, grey=True)
            pdf.line_of_text(detail, height=4)
        pdf.ln(1.5)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(3)

    # Totals per rate (one rate per document) and the total.
    total_label = "Total credited" if kind is DocumentKind.credit_note else "Total"
    rows = [
        ("Net amount", _display(document.net), False),
        (f"{document.tax_name} {rate}", _display(document.vat), False),
        (f"{total_label} ({document.currency})", _display(document.gross), True),
    ]
    for label, value, strong in rows:
        pdf.set_x(pdf.l_margin + width * 0.5)
        pdf.style(10.5 if strong else 9.5, bold=strong)
        pdf.cell(width * 0.35, 6, pdf.safe(label), align="R")
        pdf.cell(width * 0.15, 6, pdf.safe(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)

    pdf.style(8.5, grey=True)
    if kind is DocumentKind.credit_note:
        note = (
            f"The amount of {_display(document.gross)} is refunded to the payment method used for "
            f"invoice {document.corrects_number}. Amounts include {document.tax_name} at {rate}."
        )
    else:
        note = (
            f"Paid by card. All prices include {document.tax_name} at {rate}. "
            "Thank you for using connected services."
        )
    pdf.multi_cell(width, 4.5, pdf.safe(note), align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
