"""The subscribe flow in the pages (plan, address prefilled from the card, card, summary,
activate), the car's subscriptions with their status, renewal, the cancel page that states the
service's end date and refund before confirming, "not yet" during a complimentary period, and
who may use these pages."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from tests.connected_services.support import link
from tests.support import DEFAULT_PASSWORD, make_owner
from tests.web.support import (
    add_card_in_pages,
    at,
    csrf_in,
    flow,
    sign_in,
    subscribe_in_pages,
    web_owner,
)

CANCEL_LINK = re.compile(r"/subscriptions/([0-9a-f-]{36})/cancel")


@pytest.fixture
def client(paying_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """These pages pay: their client talks to the app whose payment sandbox is reached over
    HTTP (the ``app`` fixture of ``tests/conftest.py``)."""
    return paying_client


async def test_a_trial_from_the_centre_to_the_status_renewal_and_cancel(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await web_owner(runtime, client)
    await add_card_in_pages(client)
    centre = await client.get(f"/vehicle/{me.vin}/services")
    assert f'href="{flow(me.vin, "remote")}"' in centre.text
    overview = await client.get(f"/vehicle/{me.vin}/subscriptions")
    assert overview.status_code == 200
    remote = overview.text[overview.text.index('id="sub-remote"') :]
    assert "Free trial available" in remote[:400]

    offer = await client.get(flow(me.vin, "remote"))
    assert "one-month free trial" in offer.text
    assert "the first payment is on 5 Feb 2026" in offer.text
    assert "per month" in offer.text
    assert "per year" in offer.text
    assert "MwSt" in offer.text

    activated, summary = await subscribe_in_pages(client, me.vin, "remote", "monthly")
    assert "5 Feb 2026, after the one-month free trial" in summary
    assert "Start the free trial" in summary
    assert "Visa ending in 4242" in summary
    assert (activated.status_code, activated.headers["location"]) == (
        303,
        f"/vehicle/{me.vin}/subscriptions?done=trial_started",
    )
    overview = await client.get(activated.headers["location"])
    assert "Your free trial has started" in overview.text
    remote = overview.text[overview.text.index('id="sub-remote"') :]
    remote = remote[: remote.index("</li>")]
    assert "Active" in remote
    assert "Free trial" in remote
    assert "Next payment: <strong>5 Feb 2026</strong>" in remote
    assert "cancel this subscription first" in remote  # change plan explains cancelling

    # Renewal off: the trial ends by itself, no next payment.
    off = await client.post(
        f"/vehicle/{me.vin}/subscriptions/{CANCEL_LINK.search(remote).group(1)}/renewal",  # type: ignore[union-attr]
        data={"auto_renew": "off", "csrf_token": csrf_in(overview.text)},
    )
    assert off.headers["location"].endswith("done=renewal_off")
    overview = await client.get(off.headers["location"])
    remote = overview.text[overview.text.index('id="sub-remote"') :]
    remote = remote[: remote.index("</li>")]
    assert "Runs until <strong>5 Feb 2026</strong>" in remote
    assert "Turn automatic renewal on" in remote

    # Cancel: the page states the end and the refund first; confirming does it.
    subscription_id = CANCEL_LINK.search(remote).group(1)  # type: ignore[union-attr]
    page = await client.get(f"/vehicle/{me.vin}/subscriptions/{subscription_id}/cancel")
    assert page.status_code == 200
    assert "would end" in page.text
    assert "5 Feb 2026" in page.text
    assert "0,00" in page.text  # nothing refunded: nothing was charged
    still = await client.get(f"/vehicle/{me.vin}/subscriptions")
    assert "Cancelled." not in still.text  # the preview changed nothing
    confirmed = await client.post(
        f"/vehicle/{me.vin}/subscriptions/{subscription_id}/cancel",
        data={"csrf_token": csrf_in(page.text)},
    )
    assert confirmed.status_code == 200
    assert "Subscription cancelled" in confirmed.text
    overview = await client.get(f"/vehicle/{me.vin}/subscriptions")
    remote = overview.text[overview.text.index('id="sub-remote"') :]
    assert "Cancelled. The service runs until <strong>5 Feb 2026</strong>" in remote


async def test_a_paid_plan_is_charged_and_its_cancel_page_states_the_refund(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await web_owner(runtime, client)
    await add_card_in_pages(client)
    activated, summary = await subscribe_in_pages(
        client, me.vin, "svt", "yearly", payment_reminders="on"
    )
    assert "today, 5 Jan 2026" in summary
    assert "Pay and activate" in summary
    assert activated.headers["location"].endswith("done=subscribed")
    overview = await client.get(f"/vehicle/{me.vin}/subscriptions")
    svt = overview.text[overview.text.index('id="sub-svt"') :]
    svt = svt[: svt.index("</li>")]
    assert "Next payment: <strong>5 Jan 2027</strong>" in svt
    subscription_id = CANCEL_LINK.search(svt).group(1)  # type: ignore[union-attr]

    clock.set(at(date(2026, 1, 10)))
    page = await client.get(f"/vehicle/{me.vin}/subscriptions/{subscription_id}/cancel")
    assert "within 14 days" in page.text
    price = re.search(r"<dt>Refund</dt><dd><strong>([^<]+)</strong>", page.text)
    assert price is not None
    assert price.group(1) != "0,00\xa0€"
    # Not yet bought again while it runs: the offer page says why.
    offer = await client.get(flow(me.vin, "svt"))
    assert "already subscribed" in offer.text


async def test_not_yet_during_the_complimentary_period(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await web_owner(runtime, client, delivered=date(2025, 6, 1))
    offer = await client.get(flow(me.vin, "svt"))
    assert offer.status_code == 200
    assert "Not yet:" in offer.text
    assert "01 Jun 2028" in offer.text
    assert "Continue" not in offer.text
    checkout = await client.get(f"{flow(me.vin, 'svt')}/checkout?plan=yearly")
    assert checkout.status_code == 303


async def test_forms_need_their_token_and_only_the_primary_account_subscribes(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
    app: FastAPI,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await web_owner(runtime, client)
    await add_card_in_pages(client)
    forged = await client.post(
        f"{flow(me.vin, 'remote')}/checkout",
        data={"plan": "monthly", "step": "activate", "csrf_token": "x.y"},
    )
    assert forged.status_code == 403
    overview = await client.get(f"/vehicle/{me.vin}/subscriptions")
    assert "Free trial available" in overview.text

    # A second account with the car is sent to the centre; a stranger gets 404.
    second = await make_owner(runtime)
    await link(runtime, second, me.vin, primary=False)
    await sign_in(other_browser, second.email, DEFAULT_PASSWORD)
    sent = await other_browser.get(f"/vehicle/{me.vin}/subscriptions")
    assert sent.headers["location"] == f"/vehicle/{me.vin}/services?done=not_primary"
    other_browser.cookies.clear()
    await web_owner(runtime, other_browser)
    for path in (f"/vehicle/{me.vin}/subscriptions", flow(me.vin, "remote")):
        assert (await other_browser.get(path)).status_code == 404
