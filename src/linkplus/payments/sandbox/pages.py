"""The sandbox provider's pages: where the owner types the card, and the 3-D Secure challenge.

These pages are the provider's, not the platform's: the form posts to the sandbox, and the browser
goes back to the platform's return address with a token only. The number and the security code
are checked here and dropped; pages never echo them back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from httpx import URL
from jinja2 import DictLoader, Environment, select_autoescape

from linkplus.deps import RuntimeDep
from linkplus.errors import ProblemError
from linkplus.payments.endpoint import SANDBOX_PATH
from linkplus.payments.sandbox import ledger
from linkplus.payments.sandbox.api import StoreDep
from linkplus.payments.sandbox.cards import CHALLENGE_CODE, CardRefused, check_card, listed_cards

_LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{% block title %}{% endblock %} · Sandbox Pay</title>
<link rel="stylesheet" href="{{ stylesheet }}"></head><body>
<p class="banner">Sandbox Pay: a test payment provider. Use the test card numbers only.</p>
{% block body %}{% endblock %}
</body></html>"""

_CARD_FORM = """{% extends "layout" %}{% block title %}Add a card{% endblock %}{% block body %}
<h1>Add a card</h1>
<p>Visa and Mastercard credit cards are accepted.</p>
{% if error %}<p class="error" role="alert" data-field="{{ field }}">{{ error }}</p>{% endif %}
<form method="post" action="{{ action }}" autocomplete="off">
<input type="hidden" name="session" value="{{ session_id }}">
<label>Card number <input name="number" inputmode="numeric" autocomplete="cc-number" required>
</label>
<div class="row">
<label>Month <input name="exp_month" inputmode="numeric" maxlength="2" value="{{ exp_month }}"
 required></label>
<label>Year <input name="exp_year" inputmode="numeric" maxlength="4" value="{{ exp_year }}"
 required></label>
<label>CVC <input name="cvc" inputmode="numeric" maxlength="3" autocomplete="cc-csc" required>
</label>
</div>
<label>Name on the card <input name="holder" autocomplete="cc-name" value="{{ holder }}" required>
</label>
<button type="submit">Continue</button>
</form>
<section aria-labelledby="test-cards-title">
<h2 id="test-cards-title">Test cards</h2>
<p>Any future expiry date, any three-digit CVC and any name. Each number behaves as listed.</p>
<table class="test-cards">
<thead><tr><th scope="col">Card</th><th scope="col">What it does</th></tr></thead>
<tbody>{% for card in test_cards %}<tr><td><span class="number">{{ card.number }}</span><br>
{{ card.brand|title }}</td><td>{{ card.does }}</td></tr>{% endfor %}</tbody>
</table>
</section>{% endblock %}"""

_CHALLENGE = """{% extends "layout" %}{% block title %}Confirm with your bank{% endblock %}
{% block body %}<h1>Confirm it is you</h1>
<p>Your bank sent a code for the {{ brand|title }} card ending in {{ last4 }}.
In the sandbox the code is <strong>{{ code }}</strong>.</p>
<form method="post" action="{{ action }}">
<label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code"></label>
<button type="submit" name="answer" value="confirm">Confirm</button>
<button type="submit" name="answer" value="cancel">Cancel</button>
</form>{% endblock %}"""

_GONE = """{% extends "layout" %}{% block title %}Expired{% endblock %}{% block body %}
<h1>This page cannot be used</h1><p class="error" role="alert">{{ message }}</p>{% endblock %}"""

# Served as a file (see ``stylesheet``), not inline: the pages' Content-Security-Policy, the same
# as every page of the app, allows styles from this site only.
_STYLESHEET = """\
body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1d2433}
.banner{background:#fff4d6;border:1px solid #e6c34a;padding:.5rem .75rem;border-radius:.4rem}
label{display:block;margin-top:.8rem;font-weight:600}
input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
.row{display:flex;gap:.5rem}.row label{flex:1}
button{margin-top:1rem;padding:.6rem 1rem;font-size:1rem}
.error{color:#a3001b;font-weight:600}
.test-cards{width:100%;border-collapse:collapse;margin-top:.5rem;font-size:.9rem}
.test-cards th,.test-cards td{text-align:left;padding:.3rem .25rem;border-bottom:1px solid #d8dde6;
vertical-align:top}
.test-cards .number{font-family:ui-monospace,monospace;white-space:nowrap}
"""

_templates = Environment(
    loader=DictLoader(
        {"layout": _LAYOUT, "card": _CARD_FORM, "challenge": _CHALLENGE, "gone": _GONE}
    ),
    autoescape=select_autoescape(default=True, default_for_string=True),
)

_templates.globals["stylesheet"] = SANDBOX_PATH + "/pay.css"
_templates.globals["test_cards"] = listed_cards()

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form()]


def _page(name: str, status: int = 200, **values: object) -> HTMLResponse:
    html = _templates.get_template(name).render(**values)
    return HTMLResponse(
        html,
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@router.get("/pay.css")
async def stylesheet() -> Response:
    return Response(_STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


def _back_to_platform(return_url: str, **params: str) -> RedirectResponse:
    return RedirectResponse(str(URL(return_url).copy_merge_params(params)), status_code=303)


@router.get("/cards/new", name="sandbox_card_page")
async def card_page(
    request: Request, store: StoreDep, runtime: RuntimeDep, session: str = ""
) -> Response:
    try:
        async with store.transaction() as s:
            await ledger.usable_session(s, now=runtime.clock.now(), session_id=session)
    except ProblemError as exc:
        return _page("gone", 410, message=exc.detail)
    action = request.url_for("sandbox_card_submit")
    return _page("card", action=action, session_id=session, exp_month="", exp_year="", holder="")


@router.post("/cards/new", name="sandbox_card_submit")
async def submit_card(
    request: Request,
    store: StoreDep,
    runtime: RuntimeDep,
    session: Field = "",
    number: Field = "",
    exp_month: Field = "",
    exp_year: Field = "",
    cvc: Field = "",
    holder: Field = "",
) -> Response:
    now = runtime.clock.now()
    try:
        typed = check_card(
            number=number,
            exp_month=exp_month,
            exp_year=exp_year,
            cvc=cvc,
            holder=holder,
            today=now.date(),
        )
    except CardRefused as refused:
        return _page(
            "card",
            422,
            action=request.url_for("sandbox_card_submit"),
            session_id=session,
            error=refused.message,
            field=refused.field,
            exp_month=exp_month,
            exp_year=exp_year,
            holder=holder,
        )
    try:
        async with store.transaction() as s:
            done = await ledger.tokenise(
                s,
                now=now,
                session_id=session,
                typed=typed,
                secret=runtime.settings.resolved_secret_key,
            )
    except ProblemError as exc:
        return _page("gone", 410, message=exc.detail)
    if done.challenge is not None:
        target = request.url_for("sandbox_challenge_page", challenge_id=done.challenge.id)
        return RedirectResponse(str(target), status_code=303)
    return _back_to_platform(done.return_url, token=done.card.token, three_ds=done.card.three_ds)


@router.get("/3ds/{challenge_id}", name="sandbox_challenge_page")
async def challenge_page(
    challenge_id: str, request: Request, store: StoreDep, runtime: RuntimeDep
) -> Response:
    try:
        async with store.transaction() as s:
            card = await ledger.open_challenge(
                s, now=runtime.clock.now(), challenge_id=challenge_id
            )
    except ProblemError as exc:
        return _page("gone", 410, message=exc.detail)
    return _page(
        "challenge",
        action=request.url_for("sandbox_challenge_answer", challenge_id=challenge_id),
        brand=card.brand,
        last4=card.last4,
        code=CHALLENGE_CODE,
    )


@router.post("/3ds/{challenge_id}", name="sandbox_challenge_answer")
async def answer_challenge(
    challenge_id: str,
    store: StoreDep,
    runtime: RuntimeDep,
    code: Field = "",
    answer: Field = "confirm",
) -> Response:
    try:
        async with store.transaction() as s:
            card, return_url = await ledger.answer_challenge(
                s,
                now=runtime.clock.now(),
                challenge_id=challenge_id,
                code=code if answer == "confirm" else None,
            )
    except ProblemError as exc:
        return _page("gone", 410, message=exc.detail)
    return _back_to_platform(return_url, token=card.token, three_ds=card.three_ds)
