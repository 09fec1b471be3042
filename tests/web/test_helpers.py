"""The pure pieces of the web app: form tokens, link making, where sign-in may send people."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from linkplus.web import csrf
from linkplus.web.forms import preferred_language
from linkplus.web.rendering import is_internal_link, linkify, safe_next

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
