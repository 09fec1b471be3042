"""The sandbox provider's JSON API, called by the platform's adapter with the provider key.

Test faults, for retry tests: the flaky test cards (see ``cards``) fail the first request of each
idempotency key; any call also takes a ``Sandbox-Fault`` header, ``error`` (answer 500 and do
nothing) or ``timeout`` (do the work, then answer too late, as when a response is lost).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from linkplus.deps import RuntimeDep
from linkplus.errors import Unauthorized, problem
from linkplus.kit.secrets import same
from linkplus.payments import wire
from linkplus.payments.endpoint import provider_key
from linkplus.payments.sandbox import ledger, repository
from linkplus.payments.sandbox.store import SandboxStore

_bearer = HTTPBearer(auto_error=False)


def _store(request: Request) -> SandboxStore:
    store: SandboxStore = request.app.state.sandbox_pay
    return store


async def _authorised(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if credentials is None or not same(credentials.credentials, provider_key(runtime.settings)):
        raise Unauthorized(
            "Send the provider API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )


StoreDep = Annotated[SandboxStore, Depends(_store)]
IdempotencyKey = Annotated[str, Header(alias=wire.IDEMPOTENCY_HEADER, min_length=1, max_length=200)]
FaultHeader = Annotated[str | None, Header(alias=wire.FAULT_HEADER)]

router = APIRouter(prefix="/v1", dependencies=[Depends(_authorised)], include_in_schema=False)


def _fault_response() -> JSONResponse:
    return problem(
        500,
        "sandbox_fault",
        "Simulated provider failure",
        "The sandbox failed this request on purpose; nothing was done. Repeat it.",
    )


async def _answer_late(runtime: RuntimeDep) -> None:
    """Hold the answer past any sensible client deadline (the client gives up first)."""
    await asyncio.sleep(runtime.settings.payment_timeout_seconds * 3 + 1)


@router.post("/card-sessions")
async def open_card_session(
    body: wire.CardSessionRequest, request: Request, store: StoreDep, runtime: RuntimeDep
) -> wire.CardSessionResponse:
    async with store.transaction() as s:
        row = await ledger.open_session(s, now=runtime.clock.now(), request=body)
    url = request.url_for("sandbox_card_page").include_query_params(session=row.id)
    return wire.CardSessionResponse(id=row.id, url=str(url), expires_at=row.expires_at)


@router.get("/tokens/{token}")
async def card(token: str, store: StoreDep) -> wire.CardResponse:
    async with store.transaction() as s:
        row = await ledger.card_for_platform(s, token)
    return wire.CardResponse(
        token=row.token,
        brand=row.brand,
        last4=row.last4,
        exp_month=row.exp_month,
        exp_year=row.exp_year,
        fingerprint=row.fingerprint,
        reference=row.reference,
        three_ds=row.three_ds,
    )


@router.delete("/tokens/{token}")
async def forget_card(token: str, store: StoreDep) -> wire.CardForgotten:
    async with store.transaction() as s:
        await ledger.forget(s, await ledger.card_for_platform(s, token))
    return wire.CardForgotten(token=token, forgotten=True)


@router.post("/tokens/{token}/3ds")
async def three_ds(
    token: str,
    body: wire.ThreeDSRequest,
    request: Request,
    store: StoreDep,
    runtime: RuntimeDep,
) -> wire.ThreeDSResponse:
    async with store.transaction() as s:
        status, challenge = await ledger.three_ds(
            s, now=runtime.clock.now(), token=token, return_url=body.return_url
        )
    if challenge is None:
        return wire.ThreeDSResponse(status=status.value)
    url = request.url_for("sandbox_challenge_page", challenge_id=challenge.id)
    return wire.ThreeDSResponse(status="challenge_required", challenge_url=str(url))


@router.post("/charges", response_model=wire.ChargeResponse)
async def charge(
    body: wire.ChargeRequest,
    key: IdempotencyKey,
    store: StoreDep,
    runtime: RuntimeDep,
    fault: FaultHeader = None,
) -> wire.ChargeResponse | JSONResponse:
    if fault == ledger.Fault.error:
        return _fault_response()
    async with store.transaction() as s:
        outcome = await ledger.charge(s, now=runtime.clock.now(), key=key, request=body)
    if outcome.charge is None:
        return _fault_response()
    if ledger.Fault.timeout in (outcome.fault, fault):
        await _answer_late(runtime)
    return ledger.charge_out(outcome.charge)


@router.get("/charges")
async def charges_by_key(idempotency_key: str, store: StoreDep) -> wire.ChargeList:
    async with store.transaction() as s:
        row = await repository.charge_by_key(s, idempotency_key)
    return wire.ChargeList(data=[ledger.charge_out(row)] if row is not None else [])


@router.get("/charges/{charge_id}")
async def get_charge(charge_id: str, store: StoreDep) -> wire.ChargeResponse:
    async with store.transaction() as s:
        row = await repository.charge(s, charge_id)
    if row is None:
        raise ledger.UnknownAtProvider("No charge with this id.")
    return ledger.charge_out(row)


@router.post("/charges/{charge_id}/refunds", response_model=wire.RefundResponse)
async def refund(
    charge_id: str,
    body: wire.RefundRequest,
    key: IdempotencyKey,
    store: StoreDep,
    runtime: RuntimeDep,
    fault: FaultHeader = None,
) -> wire.RefundResponse | JSONResponse:
    if fault == ledger.Fault.error:
        return _fault_response()
    async with store.transaction() as s:
        row, _charge = await ledger.refund(
            s, now=runtime.clock.now(), key=key, charge_id=charge_id, request=body
        )
        answer = ledger.refund_out(row)
    if fault == ledger.Fault.timeout:
        await _answer_late(runtime)
    return answer


@router.get("/refunds")
async def refunds_by_key(idempotency_key: str, store: StoreDep) -> wire.RefundList:
    async with store.transaction() as s:
        row = await repository.refund_by_key(s, idempotency_key)
    return wire.RefundList(data=[ledger.refund_out(row)] if row is not None else [])
