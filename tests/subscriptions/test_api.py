"""The subscribe flow's refusals, renewal switched off, who may see what, and the customer
centre's view and cancellation (audited)."""

from __future__ import annotations

from datetime import date

import httpx

from linkplus.audit import service as audit
from linkplus.dealers import service as dealers
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffRole
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from tests.connected_services.support import link, owner
from tests.payments.support import DECLINE, VISA, add_card
from tests.subscriptions.support import (
    at,
    customer,
    notice_kinds,
    provider_charges,
    row,
    run_days,
    subscribe,
)
from tests.support import bearer_for, make_staff


async def test_a_declined_purchase_answers_402_with_the_reason_and_activates_nothing(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await customer(runtime, client, card=DECLINE)
    declined = await subscribe(client, me, "svt", "yearly")
    assert declined.status_code == 402
    assert (declined.json()["code"], declined.json()["decline_reason"]) == (
        "payment_declined",
        "do_not_honor",
    )
    status = (await client.get(me.url(), headers=me.headers)).json()
    assert {p["package"]: p["state"] for p in status["packages"]}["svt"] == "available"

    added = await add_card(client, me.headers, VISA)
    bought = await subscribe(client, me, "svt", "yearly", card_id=added.json()["id"])
    assert bought.status_code == 201, bought.text
    assert bought.json()["subscription"]["status"] == "active"
    assert sorted(c.status for c in await provider_charges(sandbox)) == ["declined", "succeeded"]


async def test_no_card_no_plan_change_and_renewal_off_ends_at_the_period_end(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    clock.set(at(date(2026, 1, 5)))
    cardless = await customer(runtime, client, card=None)
    refused = await subscribe(client, cardless, "svt", "monthly")
    assert (refused.status_code, refused.json()["code"]) == (409, "payment_card_needed")
    unknown = await client.post(
        cardless.url(),
        json={"package": "svt", "plan": "monthly", "billing_address": {}, "card_number": "4242"},
        headers=cardless.headers,
    )
    assert unknown.status_code == 422

    me = await customer(runtime, client)
    subscription_id = (await subscribe(client, me, "svt", "monthly")).json()["subscription"]["id"]
    change = await client.patch(
        me.url(f"/{subscription_id}"), json={"plan": "yearly"}, headers=me.headers
    )
    assert (change.status_code, change.json()["code"]) == (409, "plan_change_requires_cancellation")
    assert "Cancel" in change.json()["detail"]
    again = await subscribe(client, me, "svt", "yearly")
    assert (again.status_code, again.json()["reason"]) == (409, "subscription_running")

    off = await client.patch(
        me.url(f"/{subscription_id}"), json={"auto_renew": False}, headers=me.headers
    )
    assert off.status_code == 200
    assert (off.json()["auto_renew"], off.json()["next_payment_on"]) == (False, None)
    await run_days(runtime, clock, date(2026, 1, 6), date(2026, 2, 6))
    ended = await row(runtime, subscription_id)
    assert (ended.status, ended.end_reason, ended.service_ends_on) == (
        "ended",
        "renewal_off",
        date(2026, 2, 5),
    )
    assert "subscription_ended" in await notice_kinds(runtime, subscription_id)
    assert len(await provider_charges(sandbox)) == 1


async def test_only_the_primary_account_sees_and_changes_the_car_subscriptions(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await customer(runtime, client)
    subscription_id = (await subscribe(client, me, "remote", "monthly")).json()["subscription"][
        "id"
    ]
    secondary = await owner(runtime)
    await link(runtime, secondary.account, me.vin, primary=False)
    seen = await client.get(me.url(), headers=secondary.headers)
    assert seen.status_code == 403
    stranger = await customer(runtime, client)
    other = await client.post(stranger.url(f"/{subscription_id}/cancel"), headers=stranger.headers)
    assert (other.status_code, other.json()["code"]) == (404, "subscription_not_found")
    not_theirs = await client.get(me.url(), headers=stranger.headers)
    assert not_theirs.status_code == 404


async def test_an_agent_sees_payments_and_cancels_for_the_customer_audited(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await customer(runtime, client)
    bought = await subscribe(client, me, "svt", "yearly")
    subscription_id = bought.json()["subscription"]["id"]
    agent = await bearer_for(runtime, await make_staff(runtime, role=StaffRole.agent))
    account_id = me.who.account.id

    listed = await client.get(
        f"/api/v1/staff/accounts/{account_id}/subscriptions",
        params={"reason": "payment_dispute"},
        headers=agent,
    )
    assert listed.status_code == 200, listed.text
    [svt] = listed.json()["subscriptions"]
    assert [(c["state"], c["amount"]["minor"]) for c in svt["charges"]] == [("succeeded", 9900)]
    assert svt["charges"][0]["invoice_id"] == bought.json()["invoice_id"]
    assert (
        await client.get(f"/api/v1/staff/accounts/{account_id}/subscriptions", headers=me.headers)
    ).status_code == 404

    clock.set(at(date(2026, 3, 10)))
    agent = await bearer_for(runtime, await make_staff(runtime, role=StaffRole.agent))
    cancelled = await client.post(
        f"/api/v1/staff/subscriptions/{subscription_id}/cancel",
        json={"reason": "Customer called: sold the car"},
        headers=agent,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["rule"], cancelled.json()["refund"]["minor"]) == (
        "pro_rata_refund",
        9900 * 9 // 12,
    )
    async with runtime.db.transaction() as session:
        viewed = await audit.entries_for(session, action="staff.subscriptions_viewed")
        done = await audit.entries_for(session, action="staff.subscription_cancelled")
    assert [e.subject_id for e in viewed] == [str(account_id)]
    assert done[0].details["reason"] == "Customer called: sold the car"
    assert (await row(runtime, subscription_id)).end_reason == "cancelled"


async def test_the_purchase_may_be_referred_to_a_dealer_from_the_directory(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await customer(runtime, client)
    dealer_id = dealers.search(country="DE", limit=1)[0].dealer.id
    unknown = await subscribe(client, me, "svt", "yearly", refer_dealer_id="no-such-dealer")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "dealer_not_found"
    assert await provider_charges(sandbox) == []  # refused before anything was charged
    bought = await subscribe(client, me, "svt", "yearly", refer_dealer_id=dealer_id)
    assert bought.status_code == 201, bought.text
    stored = await row(runtime, bought.json()["subscription"]["id"])
    assert stored.refer_dealer_id == dealer_id
