"""The Data Privacy Portal: documents, acceptance, history, withdrawal, audit."""

from __future__ import annotations

import httpx

from linkplus.audit import service as audit
from linkplus.kit.clock import ManualClock
from linkplus.models.privacy import Consent
from linkplus.runtime import Runtime
from tests.connected_services.support import owner
from tests.support import bearer_for, make_owner

DOCS = "/api/v1/privacy/documents"
CONSENTS = "/api/v1/privacy/consents"


async def test_documents_for_a_new_account_need_accepting(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me = await owner(runtime, country="DE", language="de")
    listed = (await client.get(DOCS, headers=me.headers)).json()
    assert [(d["document"], d["version"], d["country"], d["language"]) for d in listed] == [
        ("terms_of_use", "2.0", "DE", "de"),
        ("privacy_notice", "1.0", "DE", "de"),
    ]
    assert all(not d["accepted"] and d["accepted_version"] is None for d in listed)
    assert all(not d["newer_version_to_accept"] for d in listed)


async def test_reading_a_document_in_full(runtime: Runtime, client: httpx.AsyncClient) -> None:
    me = await owner(runtime, country="GB", language="en")
    found = await client.get(f"{DOCS}/privacy_notice", headers=me.headers)
    assert found.status_code == 200
    body = found.json()
    assert (body["title"], body["version"], body["country"]) == ("Privacy Notice", "1.0", "GB")
    assert "location sharing" in body["text"]
    missing = await client.get(f"{DOCS}/cookie_policy", headers=me.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "document_not_found"


async def test_accepting_the_current_version_and_the_history(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    me = await owner(runtime, country="DE", language="de")
    accepted = await client.post(
        CONSENTS, json={"document": "terms_of_use", "version": "2.0"}, headers=me.headers
    )
    assert accepted.status_code == 201, accepted.text
    tou = accepted.json()[0]
    assert (tou["accepted"], tou["accepted_version"]) == (True, "2.0")
    assert tou["accepted_at"] == clock.now().isoformat().replace("+00:00", "Z")

    clock.advance(minutes=5)
    again = await client.post(
        CONSENTS,
        json={"document": "privacy_notice", "version": "1.0", "channel": "head_unit"},
        headers=me.headers,
    )
    assert again.status_code == 201
    assert all(d["accepted"] for d in again.json())

    history = (await client.get(CONSENTS, headers=me.headers)).json()
    assert [(c["document"], c["version"], c["channel"], c["withdrawn_at"]) for c in history] == [
        ("privacy_notice", "1.0", "head_unit", None),
        ("terms_of_use", "2.0", "portal", None),
    ]
    # Accepting the same version twice records nothing new.
    await client.post(
        CONSENTS, json={"document": "terms_of_use", "version": "2.0"}, headers=me.headers
    )
    assert len((await client.get(CONSENTS, headers=me.headers)).json()) == 2

    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, action="consent.accepted")
    assert [(e.subject_id, e.details["document"], e.details["version"]) for e in entries] == [
        (str(me.account.id), "privacy_notice", "1.0"),
        (str(me.account.id), "terms_of_use", "2.0"),
    ]
    assert entries[0].details["channel"] == "head_unit"


async def test_only_the_current_version_can_be_accepted(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me = await owner(runtime, country="DE", language="de")
    outdated = await client.post(
        CONSENTS, json={"document": "terms_of_use", "version": "1.0"}, headers=me.headers
    )
    assert outdated.status_code == 409
    body = outdated.json()
    assert (body["code"], body["current_version"]) == ("document_version_outdated", "2.0")
    assert "2.0" in body["detail"]
    assert (await client.get(CONSENTS, headers=me.headers)).json() == []


async def test_bad_input_is_refused(runtime: Runtime, client: httpx.AsyncClient) -> None:
    me = await owner(runtime)
    for body in (
        {"document": "cookies", "version": "1.0"},
        {"document": "terms_of_use", "version": "2.0", "channel": "fax"},
        {"document": "terms_of_use", "version": "2.0", "accepted_at": "2020-01-01T00:00:00Z"},
        {"document": "terms_of_use"},
    ):
        refused = await client.post(CONSENTS, json=body, headers=me.headers)
        assert refused.status_code == 422, body
    assert (await client.get(CONSENTS, headers=me.headers)).json() == []


async def test_an_older_acceptance_asks_for_the_newer_version(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me = await owner(runtime, country="DE", language="de")
    async with runtime.db.transaction() as session:
        session.add(
            Consent(
                account_id=me.account.id,
                document="terms_of_use",
                country="DE",
                language="de",
                version="1.0",
                accepted_at=runtime.clock.now(),
                channel="app",
            )
        )
    tou = (await client.get(DOCS, headers=me.headers)).json()[0]
    assert (tou["version"], tou["accepted_version"]) == ("2.0", "1.0")
    assert (tou["accepted"], tou["newer_version_to_accept"]) == (False, True)


async def test_withdrawing_at_any_time(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    me = await owner(runtime, country="FR", language="fr")
    await client.post(
        CONSENTS, json={"document": "privacy_notice", "version": "1.0"}, headers=me.headers
    )
    clock.advance(minutes=10)
    gone = await client.delete(f"{CONSENTS}/privacy_notice", headers=me.headers)
    assert gone.status_code == 204
    [entry] = (await client.get(CONSENTS, headers=me.headers)).json()
    assert entry["withdrawn_at"] == clock.now().isoformat().replace("+00:00", "Z")
    pn = (await client.get(DOCS, headers=me.headers)).json()[1]
    assert (pn["accepted"], pn["accepted_version"]) == (False, None)

    # Withdrawing again changes nothing and is not an error.
    assert (
        await client.delete(f"{CONSENTS}/privacy_notice", headers=me.headers)
    ).status_code == 204
    unknown = await client.delete(f"{CONSENTS}/newsletter", headers=me.headers)
    assert unknown.status_code == 404

    async with runtime.db.transaction() as session:
        [entry_log] = await audit.entries_for(session, action="consent.withdrawn")
    assert entry_log.actor_id == str(me.account.id)
    assert entry_log.details == {"document": "privacy_notice", "versions": ["1.0"]}


async def test_consents_are_per_account_and_need_a_confirmed_sign_in(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me = await owner(runtime)
    other = await owner(runtime)
    await client.post(
        CONSENTS, json={"document": "terms_of_use", "version": "2.0"}, headers=me.headers
    )
    assert (await client.get(CONSENTS, headers=other.headers)).json() == []
    assert (await client.get(CONSENTS)).status_code == 401
    unconfirmed = await make_owner(runtime, confirmed=False)
    refused = await client.get(DOCS, headers=await bearer_for(runtime, unconfirmed))
    assert refused.status_code == 403
