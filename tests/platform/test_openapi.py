"""The OpenAPI documents every problem answer: one shared Problem schema, as
application/problem+json, with the statuses each operation's dependencies can answer."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM = {"$ref": "#/components/schemas/Problem"}


async def _openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


async def test_every_error_answer_is_a_problem_document(client: httpx.AsyncClient) -> None:
    document = await _openapi(client)
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for label, operation in _operations(document):
        errors = {code: r for code, r in operation["responses"].items() if code >= "400"}
        assert "429" in errors, label
        for code, response in errors.items():
            assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                label,
                code,
            )


async def test_statuses_follow_from_what_an_operation_depends_on(
    client: httpx.AsyncClient,
) -> None:
    operations = dict(_operations(await _openapi(client)))

    def statuses(label: str) -> set[str]:
        return set(operations[label]["responses"])

    # Owner sign-in (401) on a confirmed account (403); the car for this caller (404).
    assert {"401", "403", "404", "422"} <= statuses("GET /api/v1/vehicles/{vin}/odometer")
    # A body: undecodable, too slow, too large, invalid.
    assert {"400", "408", "413", "422"} <= statuses("POST /api/v1/garage/vehicles")
    # Staff sign-in hides the staff API (404) and checks the role (403).
    assert {"401", "403", "404"} <= statuses("GET /api/v1/staff/vehicles/{vin}")
    # What a router declares for its domain.
    assert "409" in statuses("POST /api/v1/vehicles/{vin}/commands")
    # No parameters and no body: nothing to be invalid, no id to miss.
    assert not {"404", "413", "422"} & statuses("GET /api/v1/me")


async def test_the_command_stream_documents_server_sent_events(
    client: httpx.AsyncClient,
) -> None:
    operations = dict(_operations(await _openapi(client)))
    ok = operations["GET /api/v1/vehicles/{vin}/commands/stream"]["responses"]["200"]
    assert list(ok["content"]) == ["text/event-stream"]
