"""Per-category preferences: defaults, switching channels, and what cannot be switched off."""

from __future__ import annotations

import httpx

from linkplus.jobs.worker import Worker
from linkplus.models.notifications import Category
from linkplus.runtime import Runtime
from tests.notifications.support import Owner, new_owner, notify
from tests.support import Mailbox

PREFS = "/api/v1/notifications/preferences"


async def test_defaults_send_everything_but_marketing(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    answer = await client.get(PREFS, headers=owner.headers)

    assert answer.status_code == 200
    on = {"email": True, "push": True, "inbox": True, "required": False}
    assert answer.json() == {
        "account": {**on, "required": True},
        "vehicle_alerts": on,
        "billing": on,
        "marketing": {"email": False, "push": False, "inbox": True, "required": False},
    }


async def test_marketing_is_not_mailed_by_default_but_reaches_the_inbox(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, mailbox: Mailbox, owner: Owner
) -> None:
    await notify(runtime, owner, category=Category.marketing, kind="offer", title="Winter tyres")
    await notify(runtime, owner, category=Category.billing, kind="invoice", title="Your invoice")
    await worker.run_due()

    assert [str(m["Subject"]) for m in mailbox.to(owner.email)] == ["Your invoice"]
    listed = (await client.get("/api/v1/notifications", headers=owner.headers)).json()["items"]
    assert {item["title"] for item in listed} == {"Winter tyres", "Your invoice"}


async def test_switching_off_vehicle_alert_mail_keeps_the_inbox_entry(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, mailbox: Mailbox, owner: Owner
) -> None:
    changed = await client.patch(
        PREFS, json={"vehicle_alerts": {"email": False}}, headers=owner.headers
    )
    assert changed.status_code == 200
    assert changed.json()["vehicle_alerts"] == {
        "email": False,
        "push": True,  # left out of the request: unchanged
        "inbox": True,
        "required": False,
    }

    await notify(runtime, owner, title="Window open")
    await notify(runtime, owner, category=Category.account, kind="new_sign_in", title="Sign-in")
    await worker.run_due()

    assert [str(m["Subject"]) for m in mailbox.to(owner.email)] == ["Sign-in"]
    listed = (await client.get("/api/v1/notifications", headers=owner.headers)).json()["items"]
    assert {item["title"] for item in listed} == {"Window open", "Sign-in"}
    kept = await client.get(PREFS, headers=owner.headers)
    assert kept.json()["vehicle_alerts"]["email"] is False


async def test_opting_in_to_marketing_mail(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, mailbox: Mailbox, owner: Owner
) -> None:
    answer = await client.patch(PREFS, json={"marketing": {"email": True}}, headers=owner.headers)
    assert answer.json()["marketing"]["email"] is True
    assert answer.json()["marketing"]["push"] is False

    await notify(runtime, owner, category=Category.marketing, kind="offer", title="Winter tyres")
    await worker.run_due()

    message = mailbox.last_to(owner.email)
    assert str(message["Subject"]) == "Winter tyres"
    assert "switch them off under Account > Notifications" in mailbox.text(message)


async def test_account_messages_cannot_be_switched_off(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    answer = await client.patch(
        PREFS,
        json={"billing": {"email": False}, "account": {"email": False}},
        headers=owner.headers,
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "category_required"
    assert "always sent" in answer.json()["detail"]
    # Nothing of the refused request was kept, not even the acceptable part.
    kept = (await client.get(PREFS, headers=owner.headers)).json()
    assert kept["billing"]["email"] is True
    assert kept["account"]["email"] is True


async def test_asking_for_account_messages_on_is_accepted(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    answer = await client.patch(PREFS, json={"account": {"email": True}}, headers=owner.headers)
    assert answer.status_code == 200
    assert answer.json()["account"]["email"] is True


async def test_unknown_categories_and_channels_are_refused(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    unknown_category = await client.patch(
        PREFS, json={"newsletter": {"email": True}}, headers=owner.headers
    )
    unknown_channel = await client.patch(
        PREFS, json={"billing": {"sms": True}}, headers=owner.headers
    )
    assert unknown_category.status_code == unknown_channel.status_code == 422
    assert unknown_category.json()["errors"][0]["field"] == "body.newsletter"
    assert unknown_channel.json()["errors"][0]["field"] == "body.billing.sms"


async def test_preferences_are_per_account(
    client: httpx.AsyncClient, runtime: Runtime, owner: Owner
) -> None:
    other = await new_owner(runtime)
    await client.patch(PREFS, json={"billing": {"push": False}}, headers=owner.headers)

    theirs = await client.get(PREFS, headers=other.headers)

    assert theirs.json()["billing"]["push"] is True
