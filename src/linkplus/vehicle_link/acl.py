"""Who may connect as what, and which topics each connected client may use.

Pure rules, shared by the embedded broker's plugins and mirrored by the Mosquitto ACL files
(``vehicle_link.mosquitto``). A vehicle is its VIN: it publishes only under its own
``lp/v1/<VIN>/`` and receives only its own commands. The gateway reads every vehicle's
telemetry, events and command results (optionally through an MQTT 5 shared subscription) and
writes commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from linkplus.protocol.vehicle import TOPIC_ROOT, VEHICLE_CHANNELS, Channel, is_vin

GATEWAY_USERNAME = "linkplus-gateway"
GATEWAY_CLIENT_PREFIX = "linkplus-gateway"
_GATEWAY_CLIENT_RE = re.compile(r"linkplus-gateway(-[A-Za-z0-9_.]{1,64})?")
_SHARE_GROUP_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_VEHICLE_CHANNEL_NAMES = frozenset(channel.value for channel in VEHICLE_CHANNELS)
DRAIN_ROOT = "linkplus/gateway"


def drain_marker_topic(session: str) -> str:
    """Where a gateway taking over the session of a dead one (``session``: its instance name)
    sends itself the marker that says the session holds nothing more (gateway.py)."""
    return f"{DRAIN_ROOT}/{session}/drained"


class Role(StrEnum):
    vehicle = "vehicle"
    gateway = "gateway"


class Action(StrEnum):
    publish = "publish"
    subscribe = "subscribe"
    receive = "receive"  # the broker is about to deliver a message to this client


@dataclass(frozen=True)
class Principal:
    role: Role
    name: str  # the VIN, or the gateway user


def claimed_principal(username: str | None, client_id: str | None) -> Principal | None:
    """Whom a connection claims to be, or None when username and client id do not fit together.

    A unit must use its VIN as both username and client id; a gateway uses the gateway user and
    a client id starting ``linkplus-gateway``. Binding the client id to the user keeps one
    client from taking over another's session.
    """
    if not username or not client_id:
        return None
    if username == GATEWAY_USERNAME:
        if _GATEWAY_CLIENT_RE.fullmatch(client_id):
            return Principal(Role.gateway, username)
        return None
    if is_vin(username) and client_id == username:
        return Principal(Role.vehicle, username)
    return None


def principal_of_client(client_id: str | None) -> Principal | None:
    """The principal an authenticated session belongs to, from its (bound) client id."""
    if client_id is None:
        return None
    if _GATEWAY_CLIENT_RE.fullmatch(client_id):
        return Principal(Role.gateway, GATEWAY_USERNAME)
    if is_vin(client_id):
        return Principal(Role.vehicle, client_id)
    return None


def allowed(principal: Principal, topic: str, action: Action) -> bool:
    if principal.role is Role.vehicle:
        return _vehicle_allowed(principal.name, topic, action)
    return _gateway_allowed(topic, action)


def _vehicle_allowed(vin: str, topic: str, action: Action) -> bool:
    parts = topic.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}" != TOPIC_ROOT or parts[2] != vin:
        return False
    if action is Action.publish:
        return parts[3] in _VEHICLE_CHANNEL_NAMES
    return parts[3] == Channel.commands.value


def _gateway_allowed(topic: str, action: Action) -> bool:
    if topic.startswith(f"{DRAIN_ROOT}/"):
        parts = topic.split("/")
        return len(parts) == 4 and parts[3] == "drained" and bool(parts[2])
    if action is Action.subscribe and topic.startswith("$share/"):
        group, _, topic = topic.removeprefix("$share/").partition("/")
        if not _SHARE_GROUP_RE.fullmatch(group):
            return False
    parts = topic.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}" != TOPIC_ROOT:
        return False
    vin, channel = parts[2], parts[3]
    if action is Action.publish:
        return channel == Channel.commands.value and is_vin(vin)
    if action is Action.subscribe:
        return channel in _VEHICLE_CHANNEL_NAMES and (vin == "+" or is_vin(vin))
    return channel in _VEHICLE_CHANNEL_NAMES and is_vin(vin)
