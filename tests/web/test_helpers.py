"""The small pieces of the web app: form tokens, link making, where sign-in may send people,
and how a page tries a service call and takes back what a refused one wrote."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from linkplus.errors import Conflict, NotFound
from linkplus.models.accounts import Account
from linkplus.runtime import Runtime
from linkplus.web import csrf
from linkplus.web.forms import preferred_language
from linkplus.web.rendering import is_internal_link, linkify, safe_next
from linkplus.web.sessions import Refused, Visitor, attempt
from tests.support import make_owner

KEY = "a-test-key-that-is-long-enough"


def test_a_token_is_valid_only_for_its_binding_and_key() -> None:
    binding = csrf.binding_for_visitor("cookie-one")
    token = csrf.issue(KEY, binding)
    assert csrf.is_valid(KEY, binding, token)
    assert not csrf.is_valid(KEY, csrf.binding_for_visitor("cookie-two"), token)
    assert not csrf.is_valid("another-key", binding, token)
    assert not csrf.is_valid(KEY, binding, None)
    assert not csrf.is_valid(KEY, binding, "")
    nonce, signature = token.split(".")
    assert not csrf.is_valid(KEY, binding, f"{nonce}x.{signature}")


def test_session_bindings_do_not_contain_the_cookie() -> None:
    binding = csrf.binding_for_session("secret-refresh-token")
    assert "secret-refresh-token" not in binding
    assert binding != csrf.binding_for_session("another-refresh-token")


@given(st.text(max_size=80))
def test_tokens_from_arbitrary_text_are_refused(guess: str) -> None:
    assert not csrf.is_valid(KEY, csrf.binding_for_visitor("c"), guess)


def test_linkify_escapes_text_and_links_only_web_addresses() -> None:
    html = str(
        linkify(
            "Open http://x.test/activate?token=a_b-c. <script>alert(1)</script> "
            "javascript:alert(1) and https://y.test/p?a=1&b=2"
        )
    )
    assert '<a href="http://x.test/activate?token=a_b-c">' in html
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert 'href="javascript' not in html
    assert '<a href="https://y.test/p?a=1&amp;b=2">' in html


def test_sign_in_only_returns_to_pages_of_this_site() -> None:
    assert safe_next("/account") == "/account"
    for hostile in ("//evil.example", "https://evil.example", "/\\evil.example", "", None):
        assert safe_next(hostile) == "/vehicle"


def test_notification_links_open_only_on_this_site() -> None:
    public = "https://linkplus.example"
    assert is_internal_link("/account", public)
    assert is_internal_link("https://linkplus.example/vehicle", public)
    assert not is_internal_link("https://linkplus.example.evil/x", public)
    assert not is_internal_link("javascript:alert(1)", public)
    assert not is_internal_link("//evil.example", public)
    assert not is_internal_link(None, public)


def test_the_form_language_follows_the_browser() -> None:
    assert preferred_language("fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert preferred_language("ja, de;q=0.5") == "de"
    assert preferred_language("no") == "nb"
    assert preferred_language(None) == "en"


# --- attempt: a service call for a form, undone when refused ----------------------------------


def _visitor(account: Account) -> Visitor:
    return Visitor(account=account, session_cookie=None, csrf_binding="b", secret_key=KEY)


def _stranger(runtime: Runtime, email: str) -> Account:
    now = runtime.clock.now()
    return Account(
        email=email,
        email_key=email,
        password_hash="x",
        first_name="Sam",
        last_name="Stranger",
        country="DE",
        language="de",
        phone=None,
        email_confirmed_at=None,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )


async def _stored(runtime: Runtime, owner_id: uuid.UUID, email: str) -> tuple[str, int]:
    """The owner's first name and how many accounts have ``email``, as the database has them."""
    async with runtime.db.transaction() as session:
        owner = await session.get(Account, owner_id)
        assert owner is not None
        count = await session.scalar(
            select(func.count()).select_from(Account).where(Account.email_key == email)
        )
        return owner.first_name, int(count or 0)


async def test_a_refused_call_is_rolled_back_and_its_refusal_returned(runtime: Runtime) -> None:
    owner = await make_owner(runtime)
    email = f"stranger-{uuid.uuid4().hex[:8]}@example.com"
    async with runtime.db.sessions() as session:
        account = await session.get(Account, owner.id)
        assert account is not None
        visitor = _visitor(account)

        async def write_then_refuse() -> str:
            account.first_name = "Changed"
            session.add(_stranger(runtime, email))
            await session.flush()
            raise Conflict("That name is taken: choose another.", reason="test")

        outcome = await attempt(session, visitor, write_then_refuse())
        assert isinstance(outcome, Refused)
        assert (outcome.status, outcome.code) == (409, "conflict")
        assert outcome.detail == "That name is taken: choose another."
        assert outcome.problem.extra == {"reason": "test"}
        assert account.first_name == "Alex"  # the visitor's row is loaded again
        await runtime.db.commit(session)  # the request scope commits whatever is left
    assert await _stored(runtime, owner.id, email) == ("Alex", 0)


async def test_a_successful_call_returns_its_value_and_keeps_its_writes(runtime: Runtime) -> None:
    owner = await make_owner(runtime)
    email = f"stranger-{uuid.uuid4().hex[:8]}@example.com"
    async with runtime.db.sessions() as session:
        account = await session.get(Account, owner.id)
        assert account is not None

        async def write() -> int:
            account.first_name = "Changed"
            session.add(_stranger(runtime, email))
            await session.flush()
            return 7

        assert await attempt(session, _visitor(account), write()) == 7
        await runtime.db.commit(session)
    assert await _stored(runtime, owner.id, email) == ("Changed", 1)


async def test_refusals_let_through_are_raised_and_not_undone(runtime: Runtime) -> None:
    owner = await make_owner(runtime)
    async with runtime.db.sessions() as session:
        account = await session.get(Account, owner.id)
        assert account is not None

        async def write_then_miss() -> None:
            account.first_name = "Changed"
            await session.flush()
            raise NotFound("There is nothing at this address.")

        with pytest.raises(NotFound):
            await attempt(session, _visitor(account), write_then_miss(), let_through=(NotFound,))
        assert account.first_name == "Changed"  # left for the app's error handler to roll back
