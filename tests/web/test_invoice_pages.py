"""Invoices in the web app: the list with amounts in the account's language, one document, and
the PDF through the cookie session (the address the invoice e-mail links to); another
account's document is the same 404 as none."""

from __future__ import annotations

import re
import uuid
from datetime import date

import httpx
import pytest

from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from tests.web.support import add_card_in_pages, at, subscribe_in_pages, web_owner

DOCUMENT = re.compile(r'href="/invoices/([0-9a-f-]{36})"')


@pytest.fixture
def client(paying_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """These pages pay: their client talks to the app whose payment sandbox is reached over
    HTTP (the ``app`` fixture of ``tests/conftest.py``)."""
    return paying_client


async def test_a_paid_subscription_invoice_is_listed_shown_and_downloaded(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await web_owner(runtime, client, language="de")
    empty = await client.get("/invoices")
    assert "Noch keine Rechnungen" in empty.text  # the owner reads German
    await add_card_in_pages(client)
    activated, _summary = await subscribe_in_pages(client, me.vin, "svt", "yearly")
    assert activated.status_code == 303, activated.text

    listed = await client.get("/invoices")
    assert listed.status_code == 200
    (document_id,) = DOCUMENT.findall(listed.text)
    assert re.search(r"DE-2026-\d{6}", listed.text)
    assert "Rechnung · 05.01.2026" in listed.text  # as a German reader writes it
    assert re.search(r"\d+,\d\d\xa0€", listed.text)  # the amount too

    detail = await client.get(f"/invoices/{document_id}")
    assert detail.status_code == 200
    assert "Alex Driver, Hauptstraße 1, 10115 Berlin, DE" in detail.text
    assert "19\xa0%" in detail.text  # the VAT rate, as a German reader writes it
    assert f'href="/invoices/{document_id}.pdf"' in detail.text

    pdf = await client.get(f"/invoices/{document_id}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert "no-store" in pdf.headers["cache-control"]
    assert "attachment" in pdf.headers["content-disposition"]
    assert pdf.content.startswith(b"%PDF")

    # Another account: the same 404 as an unknown or malformed id.
    await web_owner(runtime, other_browser)
    for target in (document_id, str(uuid.uuid4()), "nope"):
        assert (await other_browser.get(f"/invoices/{target}")).status_code == 404
        assert (await other_browser.get(f"/invoices/{target}.pdf")).status_code == 404
    assert DOCUMENT.findall((await other_browser.get("/invoices")).text) == []

    # Signed out, the download sends the browser to sign in first.
    client.cookies.clear()
    signed_out = await client.get(f"/invoices/{document_id}.pdf")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/signin")
