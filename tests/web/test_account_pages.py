"""Account flows through the web forms, with mail delivered to a real SMTP server."""

from __future__ import annotations

import re

import httpx

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffRole
from linkplus.runtime import Runtime
from tests.support import DEFAULT_PASSWORD, Mailbox, make_owner, make_staff
from tests.web.support import csrf_in, post_form, sign_in

NEW_PASSWORD = "a quiet morning drive"


def path_of(link: str, runtime: Runtime) -> str:
    assert link.startswith(runtime.settings.public_url)
    return link.removeprefix(runtime.settings.public_url)


async def test_sign_up_then_activate_from_the_mailed_link_then_sign_in(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, mailbox: Mailbox
) -> None:
    email = "robin@example.com"
    fields = {
        "first_name": "Robin",
        "last_name": "Roads",
        "email": email,
        "password": "the road goes ever on",
        "country": "FR",
        "language": "fr",
        "phone": "",
    }
    answer = await post_form(client, "/signup", "/signup", fields)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signup/done"
    await worker.run_due()
    link = mailbox.link_in(mailbox.last_to(email))
    assert "/activate?token=" in link

    # Opening the link (as a mail scanner would) changes nothing; the button does.
    unconfirmed = await sign_in(client, email, fields["password"])
    assert unconfirmed.headers["location"] == "/activation-email"
    page = await client.get(path_of(link, runtime))
    assert page.status_code == 200
    assert "Confirmer mon adresse e-mail" in page.text  # the language chosen at sign-up
    assert (await client.get("/vehicle")).headers["location"] == "/activation-email"

    confirmed = await client.post(
        "/activate",
        data={"token": mailbox.token_in(link), "csrf_token": csrf_in(page.text)},
    )
    assert confirmed.headers["location"] == "/vehicle"
    assert (await client.get("/vehicle")).status_code == 200

    # The link works once.
    again = await client.post(
        "/activate",
        data={
            "token": mailbox.token_in(link),
            "csrf_token": csrf_in((await client.get("/vehicle")).text),
        },
    )
    assert again.status_code == 400
    assert "Demander un nouveau lien de confirmation" in again.text


async def test_sign_up_shows_what_to_correct_and_keeps_what_was_typed(
    client: httpx.AsyncClient,
) -> None:
    fields = {
        "first_name": "Robin",
        "last_name": "",
        "email": "not-an-address",
        "password": "short",
        "country": "",
        "language": "en",
        "phone": "0151 123",
    }
    answer = await post_form(client, "/signup", "/signup", fields)
    assert answer.status_code == 422
    assert 'value="Robin"' in answer.text
    assert 'value="not-an-address"' in answer.text
    assert 'value="short"' not in answer.text
    errors = re.findall(r'id="e-([a-z_]+)"', answer.text)
    assert set(errors) == {"last_name", "email", "password", "country", "phone"}
    assert "Choose your country." in answer.text


async def test_a_new_activation_link_can_be_asked_for_signed_in_or_not(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, mailbox: Mailbox
) -> None:
    owner = await make_owner(runtime, confirmed=False)
    answer = await post_form(
        client, "/activation-email", "/activation-email", {"email": owner.email}
    )
    assert answer.headers["location"] == "/activation-email?done=activation_sent"
    await worker.run_due()
    assert "/activate?token=" in mailbox.link_in(mailbox.last_to(owner.email))

    assert isinstance(runtime.clock, ManualClock)
    runtime.clock.advance(minutes=2)  # past the pause between two links
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    page = await client.get("/activation-email")
    assert "Send me a new link" in page.text
    await client.post("/activation-email", data={"csrf_token": csrf_in(page.text)})
    await worker.run_due()
    assert len(mailbox.to(owner.email)) == 2


async def test_forgotten_password_is_reset_from_the_mailed_link(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, mailbox: Mailbox
) -> None:
    owner = await make_owner(runtime)
    answer = await post_form(client, "/forgot-password", "/forgot-password", {"email": owner.email})
    assert answer.headers["location"] == "/signin?done=reset_sent"
    await worker.run_due()
    link = mailbox.link_in(mailbox.last_to(owner.email))
    assert "/reset-password?token=" in link

    page = await client.get(path_of(link, runtime))
    token = mailbox.token_in(link)
    weak = await client.post(
        "/reset-password",
        data={"token": token, "new_password": "short", "csrf_token": csrf_in(page.text)},
    )
    assert weak.status_code == 422
    assert 'name="token" value="' in weak.text  # the link is still usable
    done = await client.post(
        "/reset-password",
        data={"token": token, "new_password": NEW_PASSWORD, "csrf_token": csrf_in(weak.text)},
    )
    assert done.headers["location"] == "/signin?done=password_reset"
    assert (await sign_in(client, owner.email, NEW_PASSWORD)).headers["location"] == "/vehicle"
    # A bare link from a security mail starts the reset from the beginning.
    bare = await client.get("/reset-password")
    assert bare.headers["location"] == "/forgot-password"


async def test_profile_and_notification_settings_are_saved(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    page = await client.get("/account")
    assert page.status_code == 200
    assert 'value="Alex"' in page.text

    bad = await client.post(
        "/account/profile",
        data={
            "first_name": "Alexis",
            "last_name": "Driver",
            "phone": "12345",
            "country": "DE",
            "language": "de",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert bad.status_code == 422
    assert 'value="Alexis"' in bad.text
    assert "international format" in bad.text

    saved = await client.post(
        "/account/profile",
        data={
            "first_name": "Alexis",
            "last_name": "Driver",
            "phone": "+4915112345678",
            "country": "AT",
            "language": "de",
            "csrf_token": csrf_in(bad.text),
        },
    )
    assert saved.headers["location"] == "/account?done=profile_saved"
    page = await client.get("/account")
    assert 'value="Alexis"' in page.text
    assert 'value="+4915112345678"' in page.text
    assert '<option value="AT" selected>' in page.text

    assert 'name="marketing.email" checked' not in page.text
    prefs = await client.post(
        "/account/notifications",
        data={
            "marketing.email": "on",
            "vehicle_alerts.push": "on",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert prefs.headers["location"] == "/account?done=preferences_saved"
    page = await client.get("/account")
    assert 'name="marketing.email" checked' in page.text
    assert 'name="vehicle_alerts.push" checked' in page.text
    assert 'name="vehicle_alerts.email" checked' not in page.text
    assert (  # in German now, the language saved above
        "Ihre Mitteilungseinstellungen sind gespeichert."
        in (await client.get("/account?done=preferences_saved")).text
    )


async def test_changing_the_password_keeps_this_browser_and_ends_the_others(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await sign_in(other, owner.email, DEFAULT_PASSWORD)
        api = await client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": owner.email, "password": DEFAULT_PASSWORD},
        )
        assert api.status_code == 200, api.text
        await sign_in(client, owner.email, DEFAULT_PASSWORD)
        cookie = client.cookies["lp_session"]
        page = await client.get("/account")
        wrong = await client.post(
            "/account/password",
            data={
                "current_password": "not the password",
                "new_password": NEW_PASSWORD,
                "csrf_token": csrf_in(page.text),
            },
        )
        assert wrong.status_code == 403
        assert "Enter your current password" in wrong.text
        changed = await client.post(
            "/account/password",
            data={
                "current_password": DEFAULT_PASSWORD,
                "new_password": NEW_PASSWORD,
                "csrf_token": csrf_in(wrong.text),
            },
        )
        assert changed.headers["location"] == "/account?done=password_changed"
        assert "lp_session" not in changed.cookies  # no new cookie: the one it has still works
        assert client.cookies["lp_session"] == cookie
        assert (await client.get("/account")).status_code == 200
        assert (await other.get("/account")).status_code == 303
        refused = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": api.json()["refresh_token"]}
        )
        assert refused.status_code == 401, refused.text


async def test_the_e_mail_address_changes_once_the_new_one_is_confirmed(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, mailbox: Mailbox
) -> None:
    owner = await make_owner(runtime)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    page = await client.get("/account")
    refused = await client.post(
        "/account/email",
        data={
            "new_email": "alex.new@example.com",
            "email_password": "wrong password here",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert refused.status_code == 403
    assert 'value="alex.new@example.com"' in refused.text
    sent = await client.post(
        "/account/email",
        data={
            "new_email": "alex.new@example.com",
            "email_password": DEFAULT_PASSWORD,
            "csrf_token": csrf_in(refused.text),
        },
    )
    assert sent.headers["location"] == "/account?done=email_change_sent"
    await worker.run_due()
    link = mailbox.link_in(mailbox.last_to("alex.new@example.com"))
    assert "/confirm-email?token=" in link
    page = await client.get(path_of(link, runtime))
    assert "Confirm the new address" in page.text
    assert owner.email in (await client.get("/account")).text  # not changed by opening the link
    done = await client.post(
        "/confirm-email",
        data={"token": mailbox.token_in(link), "csrf_token": csrf_in(page.text)},
    )
    assert done.headers["location"] == "/account?done=email_changed"
    assert "alex.new@example.com" in (await client.get("/account")).text


async def test_the_dev_mailbox_lists_mail_and_makes_its_links_clickable(
    mailbox_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime, confirmed=False)
    await post_form(
        mailbox_client, "/activation-email", "/activation-email", {"email": owner.email}
    )
    listing = await mailbox_client.get("/dev/mailbox")
    mail_path = re.search(r'href="(/dev/mailbox/[0-9a-f-]+)"', listing.text)
    assert mail_path, listing.text
    assert owner.email in listing.text
    mail = await mailbox_client.get(mail_path.group(1))
    assert re.search(r'<a href="http://testserver/activate\?token=[\w-]+">', mail.text)
    missing = await mailbox_client.get("/dev/mailbox/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


async def test_staff_sign_in_to_the_console_with_their_own_cookie(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    staff = await make_staff(runtime, role=StaffRole.agent)
    assert (await client.get("/console")).headers["location"] == "/console/signin"
    wrong = await post_form(
        client,
        "/console/signin",
        "/console/signin",
        {"email": staff.email, "password": "not the password"},
    )
    assert wrong.status_code == 401
    answer = await post_form(
        client,
        "/console/signin",
        "/console/signin",
        {"email": staff.email, "password": DEFAULT_PASSWORD},
    )
    assert answer.headers["location"] == "/console"
    assert "lp_staff" in client.cookies
    assert "lp_session" not in client.cookies
    landing = await client.get("/console")
    assert landing.status_code == 200
    assert staff.name in landing.text
    assert landing.headers["cache-control"] == "no-store"
    # A staff cookie opens nothing on the owner side.
    assert (await client.get("/vehicle")).headers["location"] == "/signin"

    out = await client.post("/console/signout", data={"csrf_token": csrf_in(landing.text)})
    assert out.headers["location"] == "/console/signin"
    assert (await client.get("/console")).headers["location"] == "/console/signin"


async def test_the_sign_up_form_says_when_this_connection_registered_too_often(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    def fields(n: int) -> dict[str, str]:
        return {
            "first_name": "Robin",
            "last_name": "Roads",
            "email": f"robin{n}@example.com",
            "password": "the road goes ever on",
            "country": "FR",
            "language": "fr",
            "phone": "",
        }

    for n in range(10):
        done = await post_form(client, "/signup", "/signup", fields(n))
        assert done.headers["location"] == "/signup/done", n
    refused = await post_form(client, "/signup", "/signup", fields(10))
    assert refused.status_code == 429
    assert "Too many accounts were registered from your connection" in refused.text
    assert 'value="robin10@example.com"' in refused.text  # what was typed stays
    retry_after = int(refused.headers["retry-after"])
    assert 0 < retry_after <= 7200
    clock.advance(seconds=retry_after)
    later = await post_form(client, "/signup", "/signup", fields(10))
    assert later.headers["location"] == "/signup/done"
