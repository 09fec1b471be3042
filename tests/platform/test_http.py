"""The HTTP platform: health, readiness, metrics, problem details, request ids, body limit."""

from __future__ import annotations

from pathlib import Path

import httpx

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.db import create_engine
from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from tests.servers import free_port


async def test_healthz_and_readyz_report_the_database(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == runtime.db.dialect


async def test_readyz_fails_when_the_database_is_gone(
    client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
) -> None:
    await runtime.db.engine.dispose()
    if runtime.db.dialect == "sqlite":
        unreachable = (
            f"sqlite+aiosqlite:///{tmp_path}"  # a directory cannot be opened as a database
        )
    else:
        unreachable = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none"
    runtime.db.engine = create_engine(unreachable)
    answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "database_unreachable"


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith tab"})
    assert unsafe.headers["x-request-id"] != "bad id\twith tab"


async def test_unknown_path_is_a_problem_document(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["instance"] == "/api/v1/no-such-thing"


async def test_declared_body_over_one_mebibyte_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/api/v1/accounts",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"


async def test_streamed_body_over_one_mebibyte_is_refused(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b" " * 65536

    answer = await client.post(
        "/api/v1/accounts", content=chunks(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    text = (await client.get("/metrics")).text
    assert 'linkplus_http_requests_total{method="GET",route="/healthz",status="200"}' in text


async def test_the_payment_sandbox_is_served_only_without_a_real_provider(
    settings: Settings, clock: ManualClock
) -> None:
    for provider_url, expected in ((None, 200), ("https://pay.example.com", 404)):
        configured = settings.model_copy(update={"payment_provider_url": provider_url})
        runtime = build_runtime(configured, clock=clock)
        app = create_app(runtime, run_worker=False, run_gateway=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            page = await http.get("/sandbox-pay/cards/new", params={"session": "x"})
        await runtime.db.dispose()
        assert (page.status_code == 404) is (expected == 404), (provider_url, page.status_code)
