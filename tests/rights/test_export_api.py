"""The owner's data export through the API and the job, on both databases: asking (one at a
time), the job making the zip and telling the owner, the password asked again, another owner's
export, and the link running out with the moved clock."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from datetime import timedelta

import httpx
from sqlalchemy import select

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.notifications import Notification
from linkplus.models.rights import DataExport
from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD, bearer_for, make_owner

EXPORTS = "/api/v1/privacy/exports"


async def _ready_export(
    client: httpx.AsyncClient, worker: Worker, headers: dict[str, str]
) -> dict[str, object]:
    asked = await client.post(EXPORTS, headers=headers)
    assert asked.status_code == 202, asked.text
    assert asked.json()["state"] == "queued"
    assert await worker.run_due() >= 1
    shown = await client.get(f"{EXPORTS}/{asked.json()['id']}", headers=headers)
    assert shown.json()["state"] == "ready", shown.text
    return shown.json()  # type: ignore[no-any-return]


async def test_the_job_makes_a_zip_the_owner_downloads_with_the_password(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker
) -> None:
    owner = await make_owner(runtime)
    headers = await bearer_for(runtime, owner)
    made = await _ready_export(client, worker, headers)
    assert made["expires_at"] is not None

    async with runtime.db.read() as session:
        told = (
            await session.scalars(select(Notification).where(Notification.account_id == owner.id))
        ).all()
    assert [n.kind for n in told] == ["privacy.export_ready"]
    assert told[0].link == "/privacy/export"

    got = await client.post(
        str(made["download_url"]), headers=headers, json={"password": DEFAULT_PASSWORD}
    )
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    assert "attachment" in got.headers["content-disposition"]
    assert ".zip" in got.headers["content-disposition"]
    assert hashlib.sha256(got.content).hexdigest() == made["sha256"]
    assert len(got.content) == made["size_bytes"]

    archive = zipfile.ZipFile(io.BytesIO(got.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["schema_version"] == 1
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(archive.namelist()) - {"manifest.json"}
    for path, entry in listed.items():
        content = archive.read(path)
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["size"]
    profile = json.loads(archive.read("accounts.json"))
    account_rows = profile["tables"]["accounts"]["rows"]
    assert account_rows[0]["email"] == owner.email
    assert "password_hash" not in account_rows[0]
    assert "password_hash" in profile["tables"]["accounts"]["withheld"]
    assert "accounts/accounts.csv" in listed


async def test_a_wrong_password_is_refused_and_throttled_like_sign_in(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker
) -> None:
    owner = await make_owner(runtime)
    headers = await bearer_for(runtime, owner)
    made = await _ready_export(client, worker, headers)
    url = str(made["download_url"])

    wrong = await client.post(url, headers=headers, json={"password": "not-my-password"})
    assert wrong.status_code == 403
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json()["code"] == "wrong_password"

    statuses = []
    for _ in range(12):
        answer = await client.post(url, headers=headers, json={"password": "still-wrong"})
        statuses.append(answer.status_code)
    assert statuses[-1] == 429, statuses
    throttled = await client.post(url, headers=headers, json={"password": DEFAULT_PASSWORD})
    assert throttled.status_code == 429  # even the right one waits, as at sign-in
    assert throttled.json()["code"] == "sign_in_throttled"

    missing = await client.post(url, headers=headers, json={})
    assert missing.status_code == 422
    extra = await client.post(
        url, headers=headers, json={"password": DEFAULT_PASSWORD, "as_account": "x"}
    )
    assert extra.status_code == 422


async def test_one_export_at_a_time(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, clock: ManualClock
) -> None:
    owner = await make_owner(runtime)
    headers = await bearer_for(runtime, owner)
    first = await client.post(EXPORTS, headers=headers)
    second = await client.post(EXPORTS, headers=headers)
    assert second.status_code == 409
    assert second.json()["code"] == "export_in_progress"
    assert second.json()["export_id"] == first.json()["id"]
    not_yet = await client.post(
        f"{EXPORTS}/{first.json()['id']}/download",
        headers=headers,
        json={"password": DEFAULT_PASSWORD},
    )
    assert not_yet.status_code == 409
    assert not_yet.json()["code"] == "export_not_ready"

    await worker.run_due()
    clock.advance(minutes=1)
    again = await client.post(EXPORTS, headers=headers)
    assert again.status_code == 202  # once ready, a new one may be asked for
    listed = await client.get(EXPORTS, headers=headers)
    assert [item["id"] for item in listed.json()] == [again.json()["id"], first.json()["id"]]


async def test_another_owners_export_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker
) -> None:
    owner = await make_owner(runtime)
    made = await _ready_export(client, worker, await bearer_for(runtime, owner))
    other = await make_owner(runtime)
    other_headers = await bearer_for(runtime, other)

    seen = await client.get(f"{EXPORTS}/{made['id']}", headers=other_headers)
    assert seen.status_code == 404
    assert seen.json()["code"] == "export_not_found"
    taken = await client.post(
        str(made["download_url"]), headers=other_headers, json={"password": DEFAULT_PASSWORD}
    )
    assert taken.status_code == 404
    assert taken.json()["code"] == "export_not_found"
    assert (await client.get(EXPORTS, headers=other_headers)).json() == []
    unknown = await client.get(f"{EXPORTS}/{made['id']}x", headers=other_headers)
    assert unknown.status_code == 422


async def test_the_link_expires_and_the_scheduled_job_deletes_the_file(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, clock: ManualClock
) -> None:
    owner = await make_owner(runtime)
    headers = await bearer_for(runtime, owner)
    await worker.sync_schedules()
    made = await _ready_export(client, worker, headers)
    path = runtime.settings.data_dir / "exports" / f"{made['id']}.zip"
    assert path.is_file()

    clock.advance(timedelta(days=runtime.settings.export_link_days) - timedelta(minutes=5))
    await worker.tick_schedules()
    await worker.run_due()
    assert path.is_file()  # a day's last minutes: still there
    headers = await bearer_for(runtime, owner)  # access tokens last 15 minutes
    still = await client.post(
        str(made["download_url"]), headers=headers, json={"password": DEFAULT_PASSWORD}
    )
    assert still.status_code == 200

    clock.advance(timedelta(minutes=10))
    headers = await bearer_for(runtime, owner)
    late = await client.post(
        str(made["download_url"]), headers=headers, json={"password": DEFAULT_PASSWORD}
    )
    assert late.status_code == 410  # refused at once, before the purge has run
    assert late.json()["code"] == "export_expired"

    clock.advance(timedelta(hours=1))
    assert "rights.purge_exports" in await worker.tick_schedules()
    await worker.run_due()
    assert not path.exists()
    headers = await bearer_for(runtime, owner)
    async with runtime.db.read() as session:
        row = await session.get(DataExport, uuid.UUID(str(made["id"])))
        assert row is not None
        assert row.state == "expired"
        assert row.deleted_at is not None
    shown = await client.get(f"{EXPORTS}/{made['id']}", headers=headers)
    assert shown.json()["state"] == "expired"
    assert shown.json()["download_url"] is None
