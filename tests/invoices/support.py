"""Helpers for the invoices tests: a buyer, lines, issuing in a transaction of its own, and a
small reader that gets the text back out of the uncompressed PDFs fpdf2 writes."""

from __future__ import annotations

import re
import uuid
from datetime import date

from linkplus.invoices import service
from linkplus.invoices.schemas import Buyer, DocumentOut, InvoiceLineIn
from linkplus.kit.money import Money
from linkplus.runtime import Runtime

DE_BUYER = Buyer(
    name="Alex Driver", street="Hauptstraße 1", postcode="10115", city="Berlin", country="DE"
)


def line(
    gross: str = "9.99",
    currency: str = "EUR",
    *,
    description: str = "Remote services, monthly",
    start: date | None = date(2026, 11, 21),
    end: date | None = date(2026, 12, 21),
) -> InvoiceLineIn:
    return InvoiceLineIn(
        description=description,
        package="remote",
        vin="WDD2050041F123456",
        period_start=start,
        period_end=end,
        gross=Money.of(gross, currency),
    )


async def issue(
    runtime: Runtime,
    account_id: uuid.UUID,
    *,
    key: str | None = None,
    lines: list[InvoiceLineIn] | None = None,
    buyer: Buyer = DE_BUYER,
    issued_on: date = date(2026, 11, 21),
    market: str | None = None,
) -> DocumentOut:
    async with runtime.db.transaction() as session:
        return await service.issue_invoice(
            session,
            runtime,
            account_id=account_id,
            buyer=buyer,
            lines=[line()] if lines is None else lines,
            charge_reference=f"ch_{uuid.uuid4().hex[:12]}",
            issued_on=issued_on,
            idempotency_key=key or f"charge:{uuid.uuid4()}",
            market=market,
        )


async def credit(
    runtime: Runtime,
    invoice_id: uuid.UUID,
    gross: str,
    *,
    key: str | None = None,
    issued_on: date = date(2026, 12, 1),
    currency: str = "EUR",
) -> DocumentOut:
    async with runtime.db.transaction() as session:
        return await service.issue_credit_note(
            session,
            runtime,
            invoice_id=invoice_id,
            lines=[line(gross, currency, description="Refund: months not used")],
            refund_reference="re_0001",
            issued_on=issued_on,
            idempotency_key=key or f"refund:{uuid.uuid4()}",
            reason="Cancelled: pro-rata refund",
        )


# --- reading PDFs back ---------------------------------------------------------------------

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STRING_ESCAPES = {
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
    ord("b"): b"\b",
    ord("f"): b"\f",
}


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """The PDF literal string opening at ``data[start] == '('``, and the index after it."""
    out = bytearray()
    depth, i = 0, start
    while True:
        char = data[i]
        if char == ord("\\"):
            nxt = data[i + 1]
            if nxt in _STRING_ESCAPES:
                out += _STRING_ESCAPES[nxt]
                i += 2
            elif ord("0") <= nxt <= ord("7"):
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
                assert digits is not None
                out.append(int(digits.group(0), 8) & 0xFF)
                i += 1 + len(digits.group(0))
            else:
                out.append(nxt)
                i += 2
            continue
        if char == ord("("):
            depth += 1
            if depth > 1:
                out.append(char)
        elif char == ord(")"):
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
            out.append(char)
        else:
            out.append(char)
        i += 1


def _stream(body: bytes) -> bytes:
    match = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
    assert match, "object without a stream"
    return match.group(1)


def pdf_text(pdf: bytes) -> str:
    """Every string drawn on the pages, one per line, decoded through each font's ToUnicode map
    (Unicode fonts) or as Windows-1252 (built-in fonts). Needs an uncompressed PDF."""
    objects = {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(pdf)}
    maps: dict[bytes, dict[int, str] | None] = {}
    for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", pdf):
        font = objects[int(number)]
        unicode_map = re.search(rb"/ToUnicode (\d+) 0 R", font)
        if unicode_map is None:
            maps[name] = None
            continue
        cmap = _stream(objects[int(unicode_map.group(1))])
        pairs = re.findall(rb"<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]+)>", cmap)
        maps[name] = {
            int(code, 16): bytes.fromhex(target.decode()).decode("utf-16-be")
            for code, target in pairs
        }
    lines: list[str] = []
    current: dict[int, str] | None = None
    pages = b"\n".join(
        _stream(objects[int(number)]) for number in re.findall(rb"/Contents (\d+) 0 R", pdf)
    )
    token = re.compile(rb"/(F\d+) [\d.]+ Tf|\(")
    found = token.search(pages)
    while found is not None:
        if found.group(1) is not None:
            current = maps[found.group(1)]
            found = token.search(pages, found.end())
            continue
        raw, end = _literal(pages, found.start())
        if current is None:
            text = raw.decode("cp1252")
        else:
            codes = [int.from_bytes(raw[k : k + 2], "big") for k in range(0, len(raw), 2)]
            text = "".join(current.get(code, "\ufffd") for code in codes)
        lines.append(text.replace("\xa0", " ").replace("\u202f", " "))
        found = token.search(pages, end)
    return "\n".join(lines)
