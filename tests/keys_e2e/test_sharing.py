"""Invited drivers: the invitation by e-mail with a share code shown to the owner, accepted by
the invitee's own account; limits the car checks by its own clock; revocation as a signed command
the car acknowledges (pending, then confirmed), also when the car was offline; revoking a key
revokes what was shared from it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from linkplus.keys.certificates import Refusal
from linkplus.models.audit import AuditEntry
from linkplus.models.notifications import Notification
from linkplus.sim.keys import SimulatedPhone
from tests.keys_e2e.support import MAX_SPEED, KeyWorld
from tests.support import Mailbox


async def test_an_invitation_is_accepted_with_the_share_code_by_the_invitees_account(
    world: KeyWorld, mailbox: Mailbox
) -> None:
    invitee, stranger = await world.person(), await world.person()
    invited = await world.invite("car", invitee.account.email)
    assert invited.status_code == 201, invited.text
    body = invited.json()
    code, invite_id = body["share_code"], body["id"]
    await world.link.worker.run_due()
    mail = Mailbox.text(mailbox.last_to(invitee.account.email))
    assert invite_id in mail
    assert code not in mail  # the code goes by another channel

    phone = SimulatedPhone()
    vin = world.vin("car")
    other_account = await world.accept(stranger, invite_id, code, phone, vin)
    assert (other_account.status_code, other_account.json()["code"]) == (
        404,
        "key_invite_not_found",
    )
    wrong = await world.accept(invitee, invite_id, "AAAAAAAA", phone, vin)
    assert (wrong.status_code, wrong.json()["code"]) == (409, "key_wrong_share_code")
    assert "4 tries left" in wrong.json()["detail"]

    accepted = await world.accept(invitee, invite_id, code.lower(), phone, vin)
    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["role"], accepted.json()["state"]) == ("full", "active")
    again = await world.accept(invitee, invite_id, code, SimulatedPhone(), vin)
    assert (again.status_code, again.json()["code"]) == (409, "key_invite_closed")

    assert phone.open(world.reader("car")) is Refusal.ok
    mine = await world.client.get("/api/v1/keys", headers=await world.headers_of(invitee))
    assert [k["id"] for k in mine.json()] == [accepted.json()["id"]]
    assert mine.json()[0]["certificate"] == phone.certificates[vin]

    async with world.runtime.db.transaction() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject_id == vin)
                .order_by(AuditEntry.id)
            )
        )
        kinds = list(
            await session.scalars(
                select(Notification.kind).where(
                    Notification.account_id == world.link.cars["car"].owner.account.id,
                    Notification.kind.like("keys.%"),
                )
            )
        )
    assert [a for a in actions if a.startswith("keys.")] == [
        "keys.invited",
        "keys.wrong_share_code",
        "keys.accepted",
    ]
    assert sorted(kinds) == ["keys.accepted", "keys.invited"]


async def test_a_limited_key_opens_only_on_its_days_and_hours_by_the_cars_clock(
    world: KeyWorld,
) -> None:
    # START is Saturday 21 November 2026, 09:00 UTC (10:00 in Brussels).
    phone = SimulatedPhone()
    now = world.link.clock.now()
    _, key = await world.invited_driver(
        "car",
        phone,
        role="limited",
        days=[6, 7],
        hours_from="08:00",
        hours_to="18:00",
        time_zone="Europe/Brussels",
        valid_until=(now + timedelta(days=8)).isoformat(),
        max_speed_kmh=80,
    )
    assert key["limits"] == {
        "days": [6, 7],
        "hours_from": "08:00",
        "hours_to": "18:00",
        "time_zone": "Europe/Brussels",
        "max_speed_kmh": 80,
    }
    reader = world.reader("car")
    world.link.clock.advance(seconds=1)  # after the car's last status, as in real life
    assert phone.open(reader) is Refusal.ok
    state = world.car_state("car")
    assert state.speed_cap_kmh == 80
    await world.link.settle()
    assert await world.link.status_value("car", MAX_SPEED) == 80  # the car reports its limit

    state.lock()
    world.link.clock.advance(timedelta(hours=9))  # 19:00 in Brussels
    assert phone.open(reader) is Refusal.outside_hours
    world.link.clock.advance(timedelta(hours=14))  # Sunday 09:00 in Brussels
    assert phone.open(reader) is Refusal.ok
    state.lock()
    world.link.clock.advance(timedelta(days=1))  # Monday
    assert phone.open(reader) is Refusal.outside_hours
    world.link.clock.advance(timedelta(days=7))  # the Monday after the key ended (Sunday)
    assert phone.open(reader) is Refusal.expired
    assert state.is_locked


async def test_a_revocation_is_pending_until_the_offline_car_reconnects_and_confirms(
    world: KeyWorld,
) -> None:
    phone = SimulatedPhone()
    _, key = await world.invited_driver("car", phone)
    unit = world.link.cars["car"].unit
    unit.set_coverage(False, world.link.clock.now())
    await world.link.advance(seconds=5)

    revoked = await world.revoke("car", key["id"])
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["state"], revoked.json()["revocation"]) == ("revoked", "pending")
    await world.link.advance(seconds=30)
    assert (await world.key_state("car", key["id"]))["revocation"] == "pending"
    mine = await world.client.get("/api/v1/keys", headers=await world.headers_of(_))
    assert mine.json()[0]["certificate"] is None  # the platform no longer hands it out

    unit.set_coverage(True, world.link.clock.now())
    confirmed = await world.confirmed("car", key["id"])
    assert confirmed["confirmed_at"] is not None
    assert phone.open(world.reader("car")) is Refusal.revoked
    assert world.car_state("car").is_locked


async def test_revoking_a_key_revokes_the_keys_shared_from_it_in_one_command(
    world: KeyWorld,
) -> None:
    friend_phone, cousin_phone = SimulatedPhone(), SimulatedPhone()
    friend, friend_key = await world.invited_driver("car", friend_phone)
    cousin = await world.person()
    shared = await world.client.post(
        f"/api/v1/keys/{friend_key['id']}/invites",
        json={"email": cousin.account.email, "role": "limited", "max_speed_kmh": 100},
        headers=await world.headers_of(friend),
    )
    assert shared.status_code == 201, shared.text
    accepted = await world.accept(
        cousin, shared.json()["id"], shared.json()["share_code"], cousin_phone, world.vin("car")
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["parent_id"] == friend_key["id"]
    cannot = await world.client.post(
        f"/api/v1/keys/{accepted.json()['id']}/invites",
        json={"email": "someone@example.com", "role": "limited"},
        headers=await world.headers_of(cousin),
    )
    assert (cannot.status_code, cannot.json()["code"]) == (403, "key_cannot_share")
    reader = world.reader("car")
    assert cousin_phone.open(reader) is Refusal.ok
    world.car_state("car").lock()

    revoked = await world.revoke("car", friend_key["id"])
    assert revoked.status_code == 200, revoked.text
    cousin_key = await world.confirmed("car", accepted.json()["id"])
    assert cousin_key["revoked_by"] == "cascade"
    friend_state = await world.key_state("car", friend_key["id"])
    assert friend_state["revocation"] == "confirmed"
    assert friend_state["revoked_by"] == "owner"
    sent = [c for _, c in world.link.publisher.sent if c.type == "key_revoke"]
    assert len(sent) == 1
    assert sorted(sent[0].params["key_ids"]) == sorted([friend_key["id"], accepted.json()["id"]])
    assert friend_phone.open(reader) is Refusal.revoked
    assert cousin_phone.open(reader) is Refusal.revoked
    assert world.car_state("car").is_locked


async def test_an_invitee_removes_their_own_key_and_others_cannot_touch_it(
    world: KeyWorld,
) -> None:
    phone = SimulatedPhone()
    driver, key = await world.invited_driver("car", phone)
    stranger = await world.person()
    theirs = await world.client.post(
        f"/api/v1/keys/{key['id']}/remove", headers=await world.headers_of(stranger)
    )
    assert (theirs.status_code, theirs.json()["code"]) == (404, "key_not_found")
    other_owner = await world.client.post(
        f"/api/v1/vehicles/{world.vin('other')}/keys/{key['id']}/revoke",
        headers=await world.owner_headers("other"),
    )
    assert (other_owner.status_code, other_owner.json()["code"]) == (404, "key_not_found")
    assert phone.open(world.reader("car")) is Refusal.ok

    removed = await world.client.post(
        f"/api/v1/keys/{key['id']}/remove", headers=await world.headers_of(driver)
    )
    assert removed.status_code == 200, removed.text
    assert (await world.confirmed("car", key["id"]))["revoked_by"] == "holder"
    world.car_state("car").lock()
    assert phone.open(world.reader("car")) is Refusal.revoked


async def test_a_revocation_unconfirmed_for_days_is_sent_again_and_confirmed_on_return(
    world: KeyWorld,
) -> None:
    """The car stays away past the first command's life: the platform sends the revocation
    again under a new command id before it expires; the car refuses the stale copy and confirms
    the new one when it is back."""
    phone = SimulatedPhone()
    _, key = await world.invited_driver("car", phone)
    unit = world.link.cars["car"].unit
    unit.set_coverage(False, world.link.clock.now())
    await world.link.advance(seconds=5)
    assert (await world.revoke("car", key["id"])).json()["revocation"] == "pending"

    await world.link.advance(days=15)
    sent = [c for _, c in world.link.publisher.sent if c.type == "key_revoke"]
    assert len(sent) == 2
    assert sent[0].msg_id != sent[1].msg_id
    assert (await world.key_state("car", key["id"]))["revocation"] == "pending"

    unit.set_coverage(True, world.link.clock.now())
    await world.confirmed("car", key["id"])
    answers = [world.link.watcher.for_command(c.msg_id) for c in sent]
    assert answers[0] == [("rejected", "expired")]
    assert answers[1] == [("received", None), ("succeeded", None)]
    assert phone.open(world.reader("car")) is Refusal.revoked


async def test_a_car_without_a_key_reader_refusing_the_revocation_gets_it_once(
    world: KeyWorld,
) -> None:
    """A refusal that sending again cannot cure (a unit that does not know ``key_revoke``) leaves
    the revocation pending instead of sending it again and again."""
    phone = SimulatedPhone()
    _, key = await world.invited_driver("car", phone)
    world.link.cars["car"].unit.handlers.pop("key_revoke")
    assert (await world.revoke("car", key["id"])).status_code == 200

    async def answered() -> bool:
        return any(
            world.link.watcher.for_command(c.msg_id)
            for _, c in world.link.publisher.sent
            if c.type == "key_revoke"
        )

    await world.link.until(answered, "the car's refusal")
    await world.link.advance(seconds=30)
    sent = [c for _, c in world.link.publisher.sent if c.type == "key_revoke"]
    assert len(sent) == 1
    assert world.link.watcher.for_command(sent[0].msg_id) == [("rejected", "unknown_command")]
    assert (await world.key_state("car", key["id"]))["revocation"] == "pending"
