"""The platform's adapter to the provider's HTTP API (the sandbox's protocol, ``wire``).

A call that gets no answer within ``payment_timeout_seconds``, cannot connect, or gets a 5xx
raises ``ProviderUnavailable``: the provider may or may not have acted, so the caller repeats it
with the same idempotency key. The deadline is enforced around the whole call (not only by the
HTTP library) so it holds for every transport, including an in-process one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from linkplus.config import Settings
from linkplus.kit.money import Money
from linkplus.payments import wire
from linkplus.payments.endpoint import provider_key, provider_url
from linkplus.payments.errors import (
    IdempotencyKeyReused,
    PaymentProviderError,
    ProviderNotFound,
    ProviderUnavailable,
    RefundNotPossible,
)
from linkplus.seams.payments import (
    CardDetails,
    CardSession,
    ChargeResult,
    ChargeStatus,
    RefundResult,
    ThreeDSResult,
    ThreeDSStatus,
)

Body = TypeVar("Body", bound=BaseModel)

KEEPALIVE = 2.0
"""Seconds an idle kept-alive connection of ``connections()`` is reused for."""


class HttpPaymentProvider:
    """``PaymentProvider`` over HTTP. One short-lived connection per call: calls are rare (a card
    added, a charge a month) and nothing is left open between them. The billing run, which
    charges thousands of cards in a few seconds, opens ``connections()`` around its work: inside
    it every call (from any task) goes through one pool of kept-alive connections, at most
    ``pool`` of them, which is closed when the block ends."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        name: str = "sandbox",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self._api_key = api_key
        self._timeout = timeout
        self._transport = transport
        self._shared: httpx.AsyncClient | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> HttpPaymentProvider:
        return cls(
            base_url=provider_url(settings),
            api_key=provider_key(settings),
            timeout=settings.payment_timeout_seconds,
            transport=transport,
        )

    # --- PaymentProvider ---------------------------------------------------------------------

    async def create_card_session(self, *, reference: str, return_url: str) -> CardSession:
        body = wire.CardSessionRequest(reference=reference, return_url=return_url)
        got = await self._call("POST", "/v1/card-sessions", wire.CardSessionResponse, body=body)
        return CardSession(id=got.id, url=got.url, expires_at=got.expires_at)

    async def card_details(self, token: str) -> CardDetails:
        got = await self._call("GET", f"/v1/tokens/{_segment(token)}", wire.CardResponse)
        return CardDetails(
            token=got.token,
            brand=got.brand,
            last4=got.last4,
            exp_month=got.exp_month,
            exp_year=got.exp_year,
            fingerprint=got.fingerprint,
            reference=got.reference,
        )

    async def forget_card(self, token: str) -> None:
        try:
            await self._call("DELETE", f"/v1/tokens/{_segment(token)}", wire.CardForgotten)
        except ProviderNotFound:
            return  # forgotten before: the erasure may run again after a failure

    async def three_ds_verify(self, token: str, *, return_url: str) -> ThreeDSResult:
        got = await self._call(
            "POST",
            f"/v1/tokens/{_segment(token)}/3ds",
            wire.ThreeDSResponse,
            body=wire.ThreeDSRequest(return_url=return_url),
        )
        try:
            status = ThreeDSStatus(got.status)
        except ValueError as exc:
            raise PaymentProviderError(
                f"The payment provider answered an unknown 3-D Secure status {got.status!r}."
            ) from exc
        return ThreeDSResult(status=status, challenge_url=got.challenge_url)

    async def charge(
        self, token: str, amount: Money, *, idempotency_key: str, description: str
    ) -> ChargeResult:
        body = wire.ChargeRequest(
            token=token,
            amount_minor=amount.minor,
            currency=amount.currency,
            description=description,
        )
        got = await self._call(
            "POST", "/v1/charges", wire.ChargeResponse, body=body, idempotency_key=idempotency_key
        )
        return _charge(got)

    async def refund(self, charge_id: str, amount: Money, *, idempotency_key: str) -> RefundResult:
        body = wire.RefundRequest(amount_minor=amount.minor, currency=amount.currency)
        got = await self._call(
            "POST",
            f"/v1/charges/{_segment(charge_id)}/refunds",
            wire.RefundResponse,
            body=body,
            idempotency_key=idempotency_key,
        )
        return _refund(got)

    async def get_charge(self, idempotency_key: str) -> ChargeResult | None:
        got = await self._call(
            "GET", "/v1/charges", wire.ChargeList, params={"idempotency_key": idempotency_key}
        )
        return _charge(got.data[0]) if got.data else None

    async def get_refund(self, idempotency_key: str) -> RefundResult | None:
        got = await self._call(
            "GET", "/v1/refunds", wire.RefundList, params={"idempotency_key": idempotency_key}
        )
        return _refund(got.data[0]) if got.data else None

    # --- transport ---------------------------------------------------------------------------

    @asynccontextmanager
    async def connections(self, *, pool: int = 32) -> AsyncIterator[None]:
        """Calls made inside this block share kept-alive connections (at most ``pool``)."""
        if self._shared is not None:  # nested: the outer block's pool serves
            yield
            return
        # An idle connection is dropped well before a server closes it (uvicorn: after 5 s), so
        # a call never goes out on a connection the server is closing at that moment.
        limits = httpx.Limits(
            max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=KEEPALIVE
        )
        async with self._client(limits) as http:
            self._shared = http
            try:
                yield
            finally:
                self._shared = None

    def _client(self, limits: httpx.Limits | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            transport=self._transport,
            timeout=self._timeout,
            limits=limits or httpx.Limits(),
        )

    async def _send(
        self, http: httpx.AsyncClient, method: str, path: str, **options: Any
    ) -> httpx.Response:
        async with asyncio.timeout(self._timeout):
            return await http.request(method, path, **options)

    async def _call(
        self,
        method: str,
        path: str,
        answer: type[Body],
        *,
        body: BaseModel | None = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Body:
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        if idempotency_key is not None:
            headers[wire.IDEMPOTENCY_HEADER] = idempotency_key
        options: dict[str, Any] = {
            "json": body.model_dump(mode="json") if body is not None else None,
            "params": params,
            "headers": headers,
        }
        try:
            if self._shared is not None:
                response = await self._send(self._shared, method, path, **options)
            else:
                async with asyncio.timeout(self._timeout), self._client() as http:
                    response = await http.request(method, path, **options)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ProviderUnavailable(
                f"The payment provider did not answer within {self._timeout:g} s. Nothing is "
                "known to have happened; try again (with the same idempotency key).",
                provider_code="timeout",
            ) from exc
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                "The payment provider cannot be reached. Try again in a few minutes.",
                provider_code="unreachable",
            ) from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(
                f"The payment provider failed (HTTP {response.status_code}). Try again in a few "
                "minutes.",
                provider_code=f"http_{response.status_code}",
            )
        if response.status_code >= 400:
            raise _refusal(response)
        try:
            return answer.model_validate(response.json())
        except (ValidationError, ValueError) as exc:
            raise PaymentProviderError(
                "The payment provider answered something the platform does not understand.",
                provider_code="bad_answer",
            ) from exc


def _segment(value: str) -> str:
    """An id as one path segment, so a token cannot walk to another endpoint."""
    return quote(value, safe="")


def _refusal(response: httpx.Response) -> PaymentProviderError:
    code, detail = "unknown", f"HTTP {response.status_code}"
    try:
        payload: Any = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        code = str(payload.get("code", code))
        detail = str(payload.get("detail", detail))
    if response.status_code == 404:
        return ProviderNotFound(detail, provider_code=code)
    if code == "idempotency_key_reused":
        return IdempotencyKeyReused(detail, provider_code=code)
    if code == "refund_not_possible":
        return RefundNotPossible(detail, provider_code=code)
    return PaymentProviderError(detail, provider_code=code)


def _charge(got: wire.ChargeResponse) -> ChargeResult:
    try:
        status = ChargeStatus(got.status)
    except ValueError as exc:
        raise PaymentProviderError(
            f"The payment provider answered an unknown charge status {got.status!r}.",
            provider_code="bad_answer",
        ) from exc
    return ChargeResult(
        id=got.id,
        status=status,
        amount=Money(got.amount_minor, got.currency),
        refunded=Money(got.refunded_minor, got.currency),
        idempotency_key=got.idempotency_key,
        created_at=got.created_at,
        decline_reason=got.decline_reason,
    )


def _refund(got: wire.RefundResponse) -> RefundResult:
    return RefundResult(
        id=got.id,
        charge_id=got.charge_id,
        amount=Money(got.amount_minor, got.currency),
        idempotency_key=got.idempotency_key,
        created_at=got.created_at,
    )
