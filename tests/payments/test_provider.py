"""The payment provider protocol end to end: the platform's HTTP adapter against the sandbox's
API and pages, on each database."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from linkplus.kit.clock import ManualClock
from linkplus.kit.money import Money
from linkplus.models.payments import SandboxCard, SandboxCardSession, SandboxCharge, SandboxRefund
from linkplus.payments.client import HttpPaymentProvider
from linkplus.payments.endpoint import provider_key
from linkplus.payments.errors import (
    IdempotencyKeyReused,
    PaymentProviderError,
    ProviderNotFound,
    ProviderUnavailable,
    RefundNotPossible,
)
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from linkplus.seams.payments import ChargeStatus, ThreeDSStatus
from tests.payments.support import (
    AMEX,
    CHALLENGE,
    CHALLENGE_FAILS,
    DECLINE,
    FLAKY_500,
    FLAKY_TIMEOUT,
    ISSUER_EXPIRED,
    MASTERCARD,
    MASTERCARD_2,
    NEEDS_AUTH,
    NO_FUNDS,
    RETURN_URL,
    VISA,
    answer_challenge,
    enter_card,
    tokenise,
)
from tests.support import PROVIDER_BOUND

EUR_10 = Money(1000, "EUR")


def _key(runtime: Runtime) -> str:
    return provider_key(runtime.settings)


@contextlib.contextmanager
def _closed_port() -> Iterator[int]:
    """A loopback port nothing listens on (bound, never listening, so nobody else takes it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


async def _count(
    store: SandboxStore, model: type[SandboxCharge | SandboxRefund | SandboxCard]
) -> int:
    async with store.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("number", "status", "reason"),
    [
        (VISA, ChargeStatus.succeeded, None),
        (MASTERCARD, ChargeStatus.succeeded, None),
        (MASTERCARD_2, ChargeStatus.succeeded, None),
        (CHALLENGE, ChargeStatus.succeeded, None),
        (DECLINE, ChargeStatus.declined, "do_not_honor"),
        (NO_FUNDS, ChargeStatus.insufficient_funds, "insufficient_funds"),
        (ISSUER_EXPIRED, ChargeStatus.expired_card, "expired_card"),
        (NEEDS_AUTH, ChargeStatus.requires_action, "authentication_required"),
    ],
)
async def test_each_test_card_gets_its_outcome(
    provider: HttpPaymentProvider,
    client: httpx.AsyncClient,
    number: str,
    status: ChargeStatus,
    reason: str | None,
) -> None:
    token = await tokenise(provider, client, number)
    details = await provider.card_details(token)
    assert (details.last4, details.reference) == (number[-4:], "test")
    assert (await provider.three_ds_verify(token, return_url=RETURN_URL)).status is (
        ThreeDSStatus.authenticated
    )

    result = await provider.charge(
        token, EUR_10, idempotency_key=f"k-{number}", description="Remote services, 1 month"
    )

    assert (result.status, result.decline_reason, result.amount) == (status, reason, EUR_10)
    assert result.succeeded is (status is ChargeStatus.succeeded)


async def test_a_card_past_its_expiry_month_is_refused_by_the_issuer(
    provider: HttpPaymentProvider, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    token = await tokenise(provider, client, VISA, exp_month="12", exp_year="2026")
    assert (await provider.charge(token, EUR_10, idempotency_key="dec", description="")).succeeded

    clock.advance(days=41)  # 2027-01-01: the card was valid to the end of December
    late = await provider.charge(token, EUR_10, idempotency_key="jan", description="")

    assert late.status is ChargeStatus.expired_card


# --- tokenisation page and 3-D Secure --------------------------------------------------------


async def test_the_card_page_belongs_to_the_provider_and_returns_only_a_token(
    provider: HttpPaymentProvider, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    opened = await provider.create_card_session(reference="acct-1", return_url=RETURN_URL)
    assert httpx.URL(opened.url).path == "/sandbox-pay/cards/new"
    page = await client.get(opened.url)
    assert 'action="http://testserver/sandbox-pay/cards/new"' in page.text
    assert page.headers["cache-control"] == "no-store"

    result = await enter_card(client, opened.url, number="4242 4242 4242 4242", cvc="737")

    back = result.location
    assert (back.host, back.path) == ("testserver", "/wallet/cards/added")
    assert set(back.params) == {"token", "three_ds"}
    assert "4242424242424242" not in str(back)
    assert "737" not in str(back)
    async with sandbox.transaction() as s:
        card = await s.get(SandboxCard, result.token)
    assert card is not None
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2030)
    # Even the sandbox keeps no number: only the last four digits and a keyed fingerprint.
    assert "4242424242424242" not in " ".join(str(v) for v in vars(card).values())


async def test_a_card_page_is_used_once(
    provider: HttpPaymentProvider, client: httpx.AsyncClient
) -> None:
    opened = await provider.create_card_session(reference="r", return_url=RETURN_URL)
    await enter_card(client, opened.url, number=VISA)

    again = await client.get(opened.url)

    assert again.status_code == 410
    assert "already entered" in again.text


@pytest.mark.parametrize(
    ("number", "exp_year", "field", "message"),
    [
        ("4242424242424241", "2030", "number", "not valid"),  # Luhn
        ("1234", "2030", "number", "not valid"),
        (AMEX, "2030", "number", "Only Visa and Mastercard"),
        ("6011111111111117", "2030", "number", "Only Visa and Mastercard"),  # Discover
        ("3530111333300000", "2030", "number", "Only Visa and Mastercard"),  # JCB
        (VISA, "2025", "expiry", "expired"),
    ],
)
async def test_invalid_or_unaccepted_cards_are_refused_on_the_page(
    provider: HttpPaymentProvider,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    number: str,
    exp_year: str,
    field: str,
    message: str,
) -> None:
    opened = await provider.create_card_session(reference="r", return_url=RETURN_URL)

    result = await enter_card(client, opened.url, number=number, exp_year=exp_year)

    assert result.response.status_code == 422
    assert f'data-field="{field}"' in result.response.text
    assert message in result.response.text
    assert number not in result.response.text  # the page never echoes the number
    assert await _count(sandbox, SandboxCard) == 0


async def test_challenge_with_the_right_code_authenticates(
    provider: HttpPaymentProvider, client: httpx.AsyncClient
) -> None:
    opened = await provider.create_card_session(reference="r", return_url=RETURN_URL)

    result = await enter_card(client, opened.url, number=CHALLENGE, code="123456")

    assert result.challenge_url is not None
    assert result.location.params["three_ds"] == "authenticated"
    verified = await provider.three_ds_verify(result.token, return_url=RETURN_URL)
    assert verified.status is ThreeDSStatus.authenticated


@pytest.mark.parametrize(
    ("number", "code", "answer"),
    [
        (CHALLENGE, "000000", "confirm"),  # wrong code
        (CHALLENGE, "123456", "cancel"),
        (CHALLENGE_FAILS, "123456", "confirm"),  # the issuer refuses whatever is typed
    ],
)
async def test_a_failed_challenge_fails_for_good_and_the_card_cannot_be_charged(
    provider: HttpPaymentProvider, client: httpx.AsyncClient, number: str, code: str, answer: str
) -> None:
    opened = await provider.create_card_session(reference="r", return_url=RETURN_URL)

    result = await enter_card(client, opened.url, number=number, code=code, answer=answer)

    assert result.location.params["three_ds"] == "failed"
    assert (await provider.three_ds_verify(result.token, return_url=RETURN_URL)).status is (
        ThreeDSStatus.failed
    )
    # One answer per check: the page cannot be tried again.
    assert (await client.get(result.challenge_url or "")).status_code == 410
    charge = await provider.charge(result.token, EUR_10, idempotency_key="x", description="")
    assert charge.status is ChargeStatus.requires_action


async def test_an_unanswered_challenge_is_offered_again_through_the_api(
    provider: HttpPaymentProvider, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    opened = await provider.create_card_session(reference="r", return_url=RETURN_URL)
    abandoned = await enter_card(client, opened.url, number=CHALLENGE, code=None)
    assert abandoned.challenge_url is not None
    # The browser was closed on the challenge page; the token is the sandbox's record of it.
    async with sandbox.transaction() as s:
        page = await s.get(SandboxCardSession, opened.id)
    assert page is not None
    assert page.token is not None
    token = page.token

    pending = await provider.three_ds_verify(token, return_url=RETURN_URL)
    assert pending.status is ThreeDSStatus.challenge_required
    assert pending.challenge_url is not None
    assert (
        await provider.charge(token, EUR_10, idempotency_key="early", description="")
    ).status is (ChargeStatus.requires_action)
    done = await answer_challenge(client, pending.challenge_url, "123456")

    assert httpx.URL(done.headers["location"]).params["token"] == token
    assert (await provider.three_ds_verify(token, return_url=RETURN_URL)).status is (
        ThreeDSStatus.authenticated
    )


# --- idempotency -----------------------------------------------------------------------------


async def test_the_same_key_is_one_charge(
    provider: HttpPaymentProvider, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    token = await tokenise(provider, client, VISA)

    first = await provider.charge(token, EUR_10, idempotency_key="sub-1:2026-12", description="a")
    again = await provider.charge(token, EUR_10, idempotency_key="sub-1:2026-12", description="a")

    assert first == again
    assert await _count(sandbox, SandboxCharge) == 1
    assert await provider.get_charge("sub-1:2026-12") == first
    assert await provider.get_charge("never-used") is None


async def test_a_key_reused_for_another_amount_is_refused(
    provider: HttpPaymentProvider, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    token = await tokenise(provider, client, VISA)
    await provider.charge(token, EUR_10, idempotency_key="k", description="")

    with pytest.raises(IdempotencyKeyReused) as refused:
        await provider.charge(token, Money(2000, "EUR"), idempotency_key="k", description="")

    assert refused.value.retryable is False
    assert await _count(sandbox, SandboxCharge) == 1


async def test_concurrent_requests_with_one_key_make_one_charge(
    provider: HttpPaymentProvider, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    token = await tokenise(provider, client, MASTERCARD)

    results = await asyncio.gather(
        *(
            provider.charge(token, EUR_10, idempotency_key="run-1:sub-9", description="renewal")
            for _ in range(6)
        )
    )

    assert len({r.id for r in results}) == 1
    assert all(r.succeeded for r in results)
    assert await _count(sandbox, SandboxCharge) == 1


async def test_a_declined_charge_is_answered_the_same_for_its_key(
    provider: HttpPaymentProvider, client: httpx.AsyncClient
) -> None:
    token = await tokenise(provider, client, NO_FUNDS)

    first = await provider.charge(token, EUR_10, idempotency_key="try-1", description="")
    again = await provider.charge(token, EUR_10, idempotency_key="try-1", description="")
    next_day = await provider.charge(token, EUR_10, idempotency_key="try-2", description="")

    assert first.id == again.id
    assert first.status is ChargeStatus.insufficient_funds
    assert next_day.id != first.id


# --- refunds ---------------------------------------------------------------------------------


async def test_refunds_go_to_the_original_charge_and_never_exceed_it(
    provider: HttpPaymentProvider, client: httpx.AsyncClient
) -> None:
    token = await tokenise(provider, client, VISA)
    paid = await provider.charge(token, Money(9600, "EUR"), idempotency_key="y", description="")

    part = await provider.refund(paid.id, Money(6400, "EUR"), idempotency_key="r1")
    with pytest.raises(RefundNotPossible):
        await provider.refund(paid.id, Money(3201, "EUR"), idempotency_key="r2")
    rest = await provider.refund(paid.id, Money(3200, "EUR"), idempotency_key="r3")

    assert part.charge_id == rest.charge_id == paid.id
    after = await provider.get_charge("y")
    assert after is not None
    assert after.refunded == Money(9600, "EUR")
    with pytest.raises(RefundNotPossible):
        await provider.refund(paid.id, Money(1, "EUR"), idempotency_key="r4")


async def test_the_same_refund_key_is_one_refund(
    provider: HttpPaymentProvider, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    token = await tokenise(provider, client, VISA)
    paid = await provider.charge(token, EUR_10, idempotency_key="c", description="")

    results = await asyncio.gather(
        *(provider.refund(paid.id, Money(700, "EUR"), idempotency_key="refund-1") for _ in range(4))
    )
    with pytest.raises(IdempotencyKeyReused):
        await provider.refund(paid.id, Money(100, "EUR"), idempotency_key="refund-1")

    assert len({r.id for r in results}) == 1
    assert await _count(sandbox, SandboxRefund) == 1
    assert await provider.get_refund("refund-1") == results[0]
    assert await provider.get_refund("refund-2") is None


async def test_concurrent_refunds_together_never_exceed_the_charge(
    provider: HttpPaymentProvider, client: httpx.AsyncClient
) -> None:
    token = await tokenise(provider, client, VISA)
    paid = await provider.charge(token, EUR_10, idempotency_key="c", description="")

    outcomes = await asyncio.gather(
        *(provider.refund(paid.id, Money(400, "EUR"), idempotency_key=f"r{i}") for i in range(4)),
        return_exceptions=True,
    )

    assert sum(1 for o in outcomes if not isinstance(o, BaseException)) == 2
    assert all(isinstance(o, RefundNotPossible) for o in outcomes if isinstance(o, BaseException))
    after = await provider.get_charge("c")
    assert after is not None
    assert after.refunded == Money(800, "EUR")


async def test_declined_charges_and_other_currencies_cannot_be_refunded(
    provider: HttpPaymentProvider, client: httpx.AsyncClient
) -> None:
    declined = await provider.charge(
        await tokenise(provider, client, DECLINE), EUR_10, idempotency_key="d", description=""
    )
    paid = await provider.charge(
        await tokenise(provider, client, VISA), EUR_10, idempotency_key="p", description=""
    )

    with pytest.raises(RefundNotPossible):
        await provider.refund(declined.id, EUR_10, idempotency_key="r1")
    with pytest.raises(RefundNotPossible):
        await provider.refund(paid.id, Money(100, "GBP"), idempotency_key="r2")
    with pytest.raises(ProviderNotFound):
        await provider.refund("ch_unknown", EUR_10, idempotency_key="r3")


# --- failures and retries --------------------------------------------------------------------


async def test_a_500_is_retryable_and_the_retry_charges_once(
    provider: HttpPaymentProvider, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    token = await tokenise(provider, client, FLAKY_500)

    with pytest.raises(ProviderUnavailable) as failed:
        await provider.charge(token, EUR_10, idempotency_key="k", description="")
    assert failed.value.retryable is True
    assert await provider.get_charge("k") is None  # nothing happened
    retried = await provider.charge(token, EUR_10, idempotency_key="k", description="")

    assert retried.succeeded
    assert await _count(sandbox, SandboxCharge) == 1


async def test_a_lost_answer_is_a_timeout_and_the_retry_finds_the_same_charge(
    runtime: Runtime,
    app: FastAPI,
    provider: HttpPaymentProvider,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
) -> None:
    impatient = HttpPaymentProvider(
        base_url="http://testserver/sandbox-pay",
        api_key=_key(runtime),
        timeout=0.5,
        transport=httpx.ASGITransport(app=app),
    )
    token = await tokenise(provider, client, FLAKY_TIMEOUT)

    with pytest.raises(ProviderUnavailable) as timed_out:
        await impatient.charge(token, EUR_10, idempotency_key="k", description="")
    assert timed_out.value.provider_code == "timeout"
    made = await provider.get_charge("k")  # the provider did charge before the answer was lost
    retried = await provider.charge(token, EUR_10, idempotency_key="k", description="")

    assert made is not None
    assert retried.id == made.id
    assert retried.succeeded
    assert await _count(sandbox, SandboxCharge) == 1


class _FaultOnce(httpx.AsyncBaseTransport):
    """Adds the sandbox's fault header to the first refund request only."""

    def __init__(self, inner: httpx.AsyncBaseTransport, fault: str) -> None:
        self.inner, self.fault = inner, fault

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.fault and request.url.path.endswith("/refunds") and request.method == "POST":
            request.headers["Sandbox-Fault"] = self.fault
            self.fault = ""
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("fault", ["error", "timeout"])
async def test_refunds_that_fail_or_time_out_are_retried_safely(
    runtime: Runtime,
    app: FastAPI,
    provider: HttpPaymentProvider,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    fault: str,
) -> None:
    flaky = HttpPaymentProvider(
        base_url="http://testserver/sandbox-pay",
        api_key=_key(runtime),
        timeout=0.5,
        transport=_FaultOnce(httpx.ASGITransport(app=app), fault),
    )
    token = await tokenise(provider, client, VISA)
    paid = await provider.charge(token, EUR_10, idempotency_key="c", description="")

    with pytest.raises(ProviderUnavailable):
        await flaky.refund(paid.id, EUR_10, idempotency_key="r")
    retried = await provider.refund(paid.id, EUR_10, idempotency_key="r")

    assert retried.amount == EUR_10
    assert await _count(sandbox, SandboxRefund) == 1


async def test_an_unreachable_provider_is_retryable() -> None:
    with _closed_port() as port:
        down = HttpPaymentProvider(
            base_url=f"http://127.0.0.1:{port}/sandbox-pay", api_key="k", timeout=2.0
        )
        with pytest.raises(ProviderUnavailable) as failed:
            await down.charge("tok", EUR_10, idempotency_key="k", description="")

    assert failed.value.provider_code == "unreachable"
    assert failed.value.retryable


async def test_a_wrong_api_key_is_refused_and_not_retryable(app: FastAPI) -> None:
    stranger = HttpPaymentProvider(
        base_url="http://testserver/sandbox-pay",
        api_key="not-the-key",
        timeout=PROVIDER_BOUND,
        transport=httpx.ASGITransport(app=app),
    )

    with pytest.raises(PaymentProviderError) as refused:
        await stranger.create_card_session(reference="r", return_url=RETURN_URL)

    assert refused.value.provider_code == "not_authenticated"
    assert refused.value.retryable is False
