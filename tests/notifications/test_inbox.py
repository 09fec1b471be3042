"""The in-app inbox through the HTTP API."""

from __future__ import annotations

import uuid

import httpx

from linkplus.kit.clock import ManualClock
from linkplus.models.notifications import Category
from linkplus.runtime import Runtime
from tests.notifications.support import Owner, new_owner, notify


async def test_a_notification_appears_in_the_inbox_unread(
    client: httpx.AsyncClient, runtime: Runtime, owner: Owner
) -> None:
    sent = await notify(runtime, owner, link="/vehicles/1")

    page = await client.get("/api/v1/notifications", headers=owner.headers)

    assert page.status_code == 200
    body = page.json()
    assert body["next_before"] is None
    assert body["items"] == [
        {
            "id": str(sent.id),
            "category": "vehicle_alerts",
            "kind": "door_open",
            "title": "Driver door open",
            "body": "The driver door of your car has been open for 10 minutes.",
            "link": "/vehicles/1",
            "created_at": "2026-11-21T09:00:00Z",
            "read": False,
            "read_at": None,
        }
    ]
    count = await client.get("/api/v1/notifications/unread-count", headers=owner.headers)
    assert count.json() == {"unread": 1}


async def test_newest_first_and_marking_one_read(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, owner: Owner
) -> None:
    first = await notify(runtime, owner, title="first")
    clock.advance(minutes=5)
    second = await notify(runtime, owner, title="second")

    read = await client.post(f"/api/v1/notifications/{first.id}/read", headers=owner.headers)

    assert read.status_code == 200
    assert read.json()["read"] is True
    listed = (await client.get("/api/v1/notifications", headers=owner.headers)).json()["items"]
    assert [(item["title"], item["read"]) for item in listed] == [
        ("second", False),
        ("first", True),
    ]
    unread = await client.get("/api/v1/notifications?unread=true", headers=owner.headers)
    assert [item["id"] for item in unread.json()["items"]] == [str(second.id)]
    count = await client.get("/api/v1/notifications/unread-count", headers=owner.headers)
    assert count.json() == {"unread": 1}


async def test_marking_read_twice_keeps_it_read(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, owner: Owner
) -> None:
    sent = await notify(runtime, owner)
    first = await client.post(f"/api/v1/notifications/{sent.id}/read", headers=owner.headers)
    clock.advance(minutes=5)
    again = await client.post(f"/api/v1/notifications/{sent.id}/read", headers=owner.headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["read_at"] == "2026-11-21T09:00:00Z"
    assert again.json() == first.json()  # still read at the first moment


async def test_read_all_marks_only_the_callers_notifications(
    client: httpx.AsyncClient, runtime: Runtime, owner: Owner
) -> None:
    other = await new_owner(runtime)
    for _ in range(3):
        await notify(runtime, owner)
    await notify(runtime, other)

    answer = await client.post("/api/v1/notifications/read-all", headers=owner.headers)

    assert answer.json() == {"marked": 3}
    mine = await client.get("/api/v1/notifications/unread-count", headers=owner.headers)
    theirs = await client.get("/api/v1/notifications/unread-count", headers=other.headers)
    assert mine.json() == {"unread": 0}
    assert theirs.json() == {"unread": 1}
    again = await client.post("/api/v1/notifications/read-all", headers=owner.headers)
    assert again.json() == {"marked": 0}


async def test_someone_elses_notification_is_not_found_like_an_unknown_one(
    client: httpx.AsyncClient, runtime: Runtime, owner: Owner
) -> None:
    other = await new_owner(runtime)
    theirs = await notify(runtime, other)

    foreign = await client.post(f"/api/v1/notifications/{theirs.id}/read", headers=owner.headers)
    unknown = await client.post(f"/api/v1/notifications/{uuid.uuid4()}/read", headers=owner.headers)

    assert foreign.status_code == unknown.status_code == 404
    assert foreign.headers["content-type"] == "application/problem+json"
    strip = {"instance"}
    assert {k: v for k, v in foreign.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }
    assert foreign.json()["code"] == "notification_not_found"
    listed = await client.get("/api/v1/notifications", headers=owner.headers)
    assert listed.json()["items"] == []
    still_unread = await client.get("/api/v1/notifications/unread-count", headers=other.headers)
    assert still_unread.json() == {"unread": 1}


async def test_pages_follow_each_other_without_gaps_even_at_the_same_moment(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, owner: Owner
) -> None:
    # Three at the same instant straddle a page boundary: the cursor must not skip any.
    sent = [await notify(runtime, owner, title=f"n{i}") for i in range(2)]
    clock.advance(minutes=1)
    sent += [await notify(runtime, owner, title=f"n{i}") for i in range(2, 5)]

    seen: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    for _ in range(5):
        page = await client.get("/api/v1/notifications", params=params, headers=owner.headers)
        assert page.status_code == 200
        body = page.json()
        seen += [item["id"] for item in body["items"]]
        if body["next_before"] is None:
            break
        params = {"limit": "2", "before": body["next_before"], "before_id": body["next_before_id"]}

    assert sorted(seen) == sorted(str(n.id) for n in sent)
    assert len(seen) == 5


async def test_before_alone_lists_older_entries(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, owner: Owner
) -> None:
    old = await notify(runtime, owner, title="old")
    clock.advance(minutes=10)
    await notify(runtime, owner, title="new")

    page = await client.get(
        "/api/v1/notifications",
        params={"before": clock.now().isoformat()},
        headers=owner.headers,
    )

    assert [item["id"] for item in page.json()["items"]] == [str(old.id)]


async def test_the_inbox_needs_a_signed_in_owner(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/notifications")
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"


async def test_a_page_larger_than_allowed_is_refused(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    answer = await client.get("/api/v1/notifications?limit=1000", headers=owner.headers)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "query.limit"


async def test_inbox_entries_are_kept_with_their_category(
    client: httpx.AsyncClient, runtime: Runtime, owner: Owner
) -> None:
    for category in Category:
        await notify(runtime, owner, category=category, kind=f"{category.value}_news")
    listed = (await client.get("/api/v1/notifications", headers=owner.headers)).json()["items"]
    # Every category lands in the inbox, marketing included (its e-mail is what is off).
    assert sorted(item["category"] for item in listed) == sorted(c.value for c in Category)
