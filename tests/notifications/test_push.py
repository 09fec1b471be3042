"""Web Push: the real adapter against a local push service, subscriptions, and the push job."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import http_ece
import httpx
import jwt
import pytest
import requests
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pywebpush import WebPushException
from sqlalchemy import select

from linkplus.config import Settings
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.jobs import Job, JobState
from linkplus.models.notifications import Category, PushSubscription
from linkplus.notifications.channels import RecordingPushChannel
from linkplus.notifications.delivery import build_push_channel
from linkplus.notifications.push import WebPushChannel, vapid_public_key
from linkplus.notifications.schemas import DeliverPushJob
from linkplus.runtime import Runtime
from linkplus.seams.mail import PushChannel, PushTarget
from tests.notifications.support import Owner, new_owner, notify
from tests.servers import free_port

SUBJECT = "mailto:push-admin@linkplus.example"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class VapidKeys:
    private: str  # raw 32-byte key, base64url: what LINKPLUS_VAPID_PRIVATE_KEY holds
    public_key: ec.EllipticCurvePublicKey


def new_vapid_keys() -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    return VapidKeys(b64url(raw), key.public_key())


@dataclass
class Browser:
    """A subscriber: its ECDH key pair and auth secret, as a browser makes them."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def target(self, endpoint: str) -> PushTarget:
        return PushTarget(endpoint, self.p256dh, b64url(self.auth))

    def subscription_json(self, endpoint: str) -> dict[str, Any]:
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        decoded: dict[str, Any] = json.loads(plain)
        return decoded


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """A push service on loopback: records each message, answers with a status per path."""

    base: str
    received: list[Received] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)

    def endpoint(self, name: str) -> str:
        return f"{self.base}/push/{name}"


@pytest.fixture
async def push_service() -> AsyncIterator[PushService]:
    port = free_port()
    service = PushService(base=f"http://127.0.0.1:{port}")

    async def receive(request: web.Request) -> web.Response:
        service.received.append(
            Received(
                request.path,
                {name.lower(): value for name, value in request.headers.items()},
                await request.read(),
            )
        )
        return web.Response(status=service.answers.get(request.path, 201))

    app = web.Application()
    app.router.add_post("/push/{name}", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield service
    finally:
        await runner.cleanup()


@pytest.fixture
def vapid() -> VapidKeys:
    return new_vapid_keys()


# --- the real adapter ------------------------------------------------------------------------


async def test_web_push_sends_an_encrypted_vapid_signed_message(
    push_service: PushService, vapid: VapidKeys
) -> None:
    browser = Browser()
    channel = WebPushChannel(private_key=vapid.private, subject=SUBJECT, ttl_seconds=3600)
    payload = {"title": "Driver door open", "body": "Close it from the app.", "link": "/car"}

    outcome = await channel.send(browser.target(push_service.endpoint("abc")), payload)

    assert outcome.delivered
    assert not outcome.gone
    assert outcome.status == 201
    [message] = push_service.received
    assert message.path == "/push/abc"
    assert message.headers["content-encoding"] == "aes128gcm"
    assert message.headers["ttl"] == "3600"
    assert browser.decrypt(message.body) == payload
    # Authorization: vapid t=<JWT signed with our key>,k=<our public key>
    scheme, _, params = message.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.split("=", 1) for part in params.split(","))
    public_point = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert b64url_decode(fields["k"]) == public_point
    claims = jwt.decode(
        fields["t"], vapid.public_key, algorithms=["ES256"], audience=push_service.base
    )
    assert claims["sub"] == SUBJECT


async def test_web_push_reports_a_dropped_subscription_as_gone(
    push_service: PushService, vapid: VapidKeys
) -> None:
    channel = WebPushChannel(private_key=vapid.private, subject=SUBJECT)
    for status in (404, 410):
        endpoint = push_service.endpoint(f"dropped{status}")
        push_service.answers[f"/push/dropped{status}"] = status
        outcome = await channel.send(Browser().target(endpoint), {"title": "x"})
        assert outcome.gone
        assert not outcome.delivered
        assert outcome.status == status


async def test_web_push_raises_when_the_push_service_fails(
    push_service: PushService, vapid: VapidKeys
) -> None:
    channel = WebPushChannel(private_key=vapid.private, subject=SUBJECT)
    push_service.answers["/push/busy"] = 503
    with pytest.raises(WebPushException, match="503"):
        await channel.send(Browser().target(push_service.endpoint("busy")), {"title": "x"})
    with pytest.raises(requests.ConnectionError):  # nothing listens there
        await channel.send(Browser().target(f"http://127.0.0.1:{free_port()}/p"), {"t": 1})


@pytest.mark.parametrize("kind", ["real", "fake"])
async def test_real_and_fake_channels_answer_alike(
    kind: str, push_service: PushService, vapid: VapidKeys
) -> None:
    """The fake other domains' tests use must behave as the real adapter does."""
    live, dropped = push_service.endpoint("live"), push_service.endpoint("dropped")
    push_service.answers["/push/dropped"] = 410
    channel: PushChannel
    if kind == "real":
        channel = WebPushChannel(private_key=vapid.private, subject=SUBJECT)
    else:
        channel = RecordingPushChannel(gone={dropped})
    browser = Browser()

    delivered = await channel.send(browser.target(live), {"title": "hi"})
    gone = await channel.send(browser.target(dropped), {"title": "hi"})

    assert (delivered.delivered, delivered.gone) == (True, False)
    assert (gone.delivered, gone.gone, gone.status) == (False, True, 410)


def test_push_channel_only_with_a_vapid_key(vapid: VapidKeys) -> None:
    assert build_push_channel(Settings(vapid_private_key=None)) is None
    channel = build_push_channel(Settings(vapid_private_key=vapid.private))
    assert isinstance(channel, WebPushChannel)


def test_vapid_keys_in_pem_give_the_same_public_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    raw = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    assert vapid_public_key(pem) == vapid_public_key(raw)
    with pytest.raises(ValueError, match="LINKPLUS_VAPID_PRIVATE_KEY"):
        vapid_public_key("not a key")


# --- the public key and subscriptions through the API ----------------------------------------


async def test_public_key_when_push_is_not_configured(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/push/public-key")
    assert answer.status_code == 404
    assert answer.json()["code"] == "push_not_configured"
    assert "inbox" in answer.json()["detail"]


async def test_public_key_for_the_browser(
    client: httpx.AsyncClient, runtime: Runtime, vapid: VapidKeys
) -> None:
    runtime.settings.vapid_private_key = vapid.private
    answer = await client.get("/api/v1/push/public-key")
    assert answer.status_code == 200
    point = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert b64url_decode(answer.json()["public_key"]) == point


async def subscriptions(runtime: Runtime) -> list[PushSubscription]:
    async with runtime.db.transaction() as session:
        query = select(PushSubscription).order_by(PushSubscription.created_at)
        return list((await session.scalars(query)).all())


async def test_subscribing_and_unsubscribing_a_browser(
    client: httpx.AsyncClient, runtime: Runtime, owner: Owner
) -> None:
    browser = Browser()
    endpoint = "https://fcm.googleapis.com/fcm/send/abc:def"

    created = await client.post(
        "/api/v1/push-subscriptions",
        json=browser.subscription_json(endpoint),
        headers=owner.headers,
    )

    assert created.status_code == 201
    assert created.json()["endpoint"] == endpoint
    [stored] = await subscriptions(runtime)
    assert (stored.account_id, stored.p256dh) == (owner.account.id, browser.p256dh)

    removed = await client.delete(
        "/api/v1/push-subscriptions", params={"endpoint": endpoint}, headers=owner.headers
    )
    assert removed.status_code == 204
    assert await subscriptions(runtime) == []
    again = await client.delete(
        "/api/v1/push-subscriptions", params={"endpoint": endpoint}, headers=owner.headers
    )
    assert again.status_code == 404
    assert again.json()["code"] == "push_subscription_not_found"


async def test_a_browser_belongs_to_whoever_subscribed_last(
    client: httpx.AsyncClient, runtime: Runtime, owner: Owner
) -> None:
    other = await new_owner(runtime)
    endpoint = "https://updates.push.services.mozilla.com/wpush/v2/xyz"
    for who in (owner, other):
        answer = await client.post(
            "/api/v1/push-subscriptions",
            json=Browser().subscription_json(endpoint),
            headers=who.headers,
        )
        assert answer.status_code == 201

    [stored] = await subscriptions(runtime)
    assert stored.account_id == other.account.id
    # The first owner can no longer see or remove it.
    theirs = await client.delete(
        "/api/v1/push-subscriptions", params={"endpoint": endpoint}, headers=owner.headers
    )
    assert theirs.status_code == 404
    assert len(await subscriptions(runtime)) == 1


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"endpoint": "http://push.example.com/x"}, "body.endpoint"),
        ({"endpoint": "https://10.0.0.5/x"}, "body.endpoint"),
        ({"endpoint": "https://[::1]/x"}, "body.endpoint"),
        ({"endpoint": "https://localhost/x"}, "body.endpoint"),
        ({"endpoint": "https://printer.local/x"}, "body.endpoint"),
        ({"endpoint": "https://user:pw@push.example.com/x"}, "body.endpoint"),
        (
            {"keys": {"p256dh": b64url(b"\x04" + b"1" * 40), "auth": b64url(b"a" * 16)}},
            "body.keys.p256dh",
        ),
        ({"keys": {"p256dh": Browser().p256dh, "auth": b64url(b"a" * 15)}}, "body.keys.auth"),
        ({"account_id": "someone-else"}, "body.account_id"),
    ],
)
async def test_invalid_subscriptions_are_refused(
    client: httpx.AsyncClient, owner: Owner, change: dict[str, Any], field_name: str
) -> None:
    body = Browser().subscription_json("https://push.example.com/ok") | change
    answer = await client.post("/api/v1/push-subscriptions", json=body, headers=owner.headers)
    assert answer.status_code == 422
    assert field_name in [error["field"] for error in answer.json()["errors"]]


# --- the push job ----------------------------------------------------------------------------


async def subscribe_directly(runtime: Runtime, who: Owner, browser: Browser, endpoint: str) -> None:
    """Loopback push services cannot be subscribed through the API (https only): store directly."""
    async with runtime.db.transaction() as session:
        session.add(
            PushSubscription(
                account_id=who.account.id,
                endpoint=endpoint,
                p256dh=browser.p256dh,
                auth=b64url(browser.auth),
                created_at=runtime.clock.now(),
            )
        )


async def test_a_notification_is_pushed_to_every_browser_of_the_account(
    runtime: Runtime, worker: Worker, push_service: PushService, vapid: VapidKeys, owner: Owner
) -> None:
    runtime.push = WebPushChannel(private_key=vapid.private, subject=SUBJECT)
    phone, laptop = Browser(), Browser()
    await subscribe_directly(runtime, owner, phone, push_service.endpoint("phone"))
    await subscribe_directly(runtime, owner, laptop, push_service.endpoint("laptop"))
    other = await new_owner(runtime)
    await subscribe_directly(runtime, other, Browser(), push_service.endpoint("other"))

    sent = await notify(runtime, owner, title="Low battery", body="12 % left.", link="/car/1")
    await worker.run_due()

    by_path = {message.path: message for message in push_service.received}
    assert set(by_path) == {"/push/phone", "/push/laptop"}
    expected = {
        "id": str(sent.id),
        "category": "vehicle_alerts",
        "kind": "door_open",
        "title": "Low battery",
        "body": "12 % left.",
        "link": "/car/1",
    }
    assert phone.decrypt(by_path["/push/phone"].body) == expected
    assert laptop.decrypt(by_path["/push/laptop"].body) == expected


async def test_a_gone_subscription_is_removed(
    runtime: Runtime, worker: Worker, push_service: PushService, vapid: VapidKeys, owner: Owner
) -> None:
    runtime.push = WebPushChannel(private_key=vapid.private, subject=SUBJECT)
    await subscribe_directly(runtime, owner, Browser(), push_service.endpoint("old"))
    await subscribe_directly(runtime, owner, Browser(), push_service.endpoint("new"))
    push_service.answers["/push/old"] = 410

    await notify(runtime, owner)
    await worker.run_due()

    assert [s.endpoint for s in await subscriptions(runtime)] == [push_service.endpoint("new")]
    async with runtime.db.transaction() as session:
        jobs = (await session.scalars(select(Job).where(Job.name == DeliverPushJob.task))).all()
    assert {job.state for job in jobs} == {JobState.done}


async def test_an_unreachable_push_service_is_retried_alone(
    runtime: Runtime, worker: Worker, clock: ManualClock, owner: Owner
) -> None:
    fake = RecordingPushChannel(failing={"https://down.example/1"})
    runtime.push = fake
    browser = Browser()
    await subscribe_directly(runtime, owner, browser, "https://down.example/1")
    await subscribe_directly(runtime, owner, browser, "https://up.example/1")

    await notify(runtime, owner, title="Alarm")
    await worker.run_due()
    assert [p["title"] for p in fake.payloads_to("https://up.example/1")] == ["Alarm"]

    fake.failing.clear()
    clock.advance(timedelta(seconds=10))
    await worker.run_due()
    clock.advance(timedelta(hours=1))
    await worker.run_due()

    assert [p["title"] for p in fake.payloads_to("https://down.example/1")] == ["Alarm"]
    assert [p["title"] for p in fake.payloads_to("https://up.example/1")] == ["Alarm"]


async def test_push_follows_the_preferences(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, owner: Owner
) -> None:
    fake = RecordingPushChannel()
    runtime.push = fake
    await subscribe_directly(runtime, owner, Browser(), "https://push.example/me")
    switched = await client.patch(
        "/api/v1/notifications/preferences",
        json={"vehicle_alerts": {"push": False}},
        headers=owner.headers,
    )
    assert switched.status_code == 200

    await notify(runtime, owner, title="Door open")
    await notify(runtime, owner, category=Category.marketing, kind="offer", title="Offer")
    await notify(runtime, owner, category=Category.billing, kind="invoice", title="Invoice")
    await worker.run_due()

    assert [p["title"] for p in fake.payloads_to("https://push.example/me")] == ["Invoice"]


async def test_without_a_push_channel_notifications_stay_in_the_inbox(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, owner: Owner
) -> None:
    assert runtime.push is None
    await subscribe_directly(runtime, owner, Browser(), "https://push.example/me")
    await notify(runtime, owner, title="Door open")

    await worker.run_due()

    async with runtime.db.transaction() as session:
        jobs = (await session.scalars(select(Job).where(Job.name == DeliverPushJob.task))).all()
    assert [job.state for job in jobs] == [JobState.done]
    listed = await client.get("/api/v1/notifications", headers=owner.headers)
    assert [item["title"] for item in listed.json()["items"]] == ["Door open"]
