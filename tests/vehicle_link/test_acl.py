"""Who may connect as whom and use which topic (the embedded broker's rules)."""

from __future__ import annotations

import pytest

from linkplus.vehicle_link.acl import (
    GATEWAY_USERNAME,
    Action,
    Principal,
    Role,
    allowed,
    claimed_principal,
    principal_of_client,
)

A = "WVWZZZ1JZXW000001"
B = "WVWZZZ1JZXW000002"
VEHICLE_A = Principal(Role.vehicle, A)
GATEWAY = Principal(Role.gateway, GATEWAY_USERNAME)


@pytest.mark.parametrize(
    ("username", "client_id", "expected"),
    [
        (A, A, VEHICLE_A),
        (A, B, None),  # a unit cannot use another unit's client id
        (A, "linkplus-gateway-1", None),
        (GATEWAY_USERNAME, "linkplus-gateway-1", GATEWAY),
        (GATEWAY_USERNAME, "linkplus-gateway", GATEWAY),
        (GATEWAY_USERNAME, A, None),
        (None, A, None),
        ("", "", None),
        ("someone", "someone", None),
    ],
)
def test_client_id_is_bound_to_the_user(
    username: str | None, client_id: str | None, expected: Principal | None
) -> None:
    assert claimed_principal(username, client_id) == expected


def test_principal_follows_the_bound_client_id() -> None:
    assert principal_of_client(A) == VEHICLE_A
    assert principal_of_client("linkplus-gateway-7") == GATEWAY
    assert principal_of_client("random-client") is None
    assert principal_of_client(None) is None


@pytest.mark.parametrize("channel", ["telemetry", "events", "command-results"])
def test_vehicle_publishes_only_under_its_own_vin(channel: str) -> None:
    assert allowed(VEHICLE_A, f"lp/v1/{A}/{channel}", Action.publish)
    assert not allowed(VEHICLE_A, f"lp/v1/{B}/{channel}", Action.publish)


def test_vehicle_cannot_publish_commands_or_elsewhere() -> None:
    assert not allowed(VEHICLE_A, f"lp/v1/{A}/commands", Action.publish)
    assert not allowed(VEHICLE_A, f"lp/v1/{A}/telemetry/x", Action.publish)
    assert not allowed(VEHICLE_A, "somewhere/else", Action.publish)


def test_vehicle_subscribes_and_receives_only_its_own_commands() -> None:
    assert allowed(VEHICLE_A, f"lp/v1/{A}/commands", Action.subscribe)
    assert allowed(VEHICLE_A, f"lp/v1/{A}/commands", Action.receive)
    for topic in (f"lp/v1/{B}/commands", "lp/v1/+/commands", "lp/v1/#", "#", f"lp/v1/{A}/+"):
        assert not allowed(VEHICLE_A, topic, Action.subscribe)
    assert not allowed(VEHICLE_A, f"lp/v1/{B}/commands", Action.receive)
    assert not allowed(VEHICLE_A, f"lp/v1/{A}/telemetry", Action.receive)


def test_gateway_rules() -> None:
    for channel in ("telemetry", "events", "command-results"):
        assert allowed(GATEWAY, f"lp/v1/+/{channel}", Action.subscribe)
        assert allowed(GATEWAY, f"$share/gw/lp/v1/+/{channel}", Action.subscribe)
        assert allowed(GATEWAY, f"lp/v1/{A}/{channel}", Action.receive)
    assert allowed(GATEWAY, f"lp/v1/{B}/commands", Action.publish)
    assert not allowed(GATEWAY, "lp/v1/+/commands", Action.publish)
    assert not allowed(GATEWAY, f"lp/v1/{A}/telemetry", Action.publish)
    assert not allowed(GATEWAY, "#", Action.subscribe)
    assert not allowed(GATEWAY, "$share/a+b/lp/v1/+/telemetry", Action.subscribe)
    assert not allowed(GATEWAY, "lp/v1/+/commands", Action.subscribe)
