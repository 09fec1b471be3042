"""The MQTT broker ``serve`` and ``demo`` start inside the process (amqtt) on 127.0.0.1.

amqtt loads plugins named by dotted path in its configuration and builds each plugin's
``Config`` dataclass from the values given there, so the live ``BrokerAuthority`` (database
access and the gateway's secret) reaches the plugins as a configuration value.

Two plugins are installed and nothing else (no anonymous access, no ``$SYS`` tree):

* ``LinkplusAuthPlugin.authenticate(session=...)`` is awaited for every CONNECT; ``True``
  accepts, anything else answers CONNACK "not authorized" and closes the connection;
* ``LinkplusTopicPlugin.topic_filtering(session=..., topic=..., action=...)`` is awaited for
  every SUBSCRIBE filter (refused: SUBACK 0x80), every PUBLISH (refused: acknowledged but
  dropped) and every delivery (``receive``; refused: not delivered).

amqtt speaks MQTT 3.1.1 only and has no shared subscriptions: the payloads and topics are the
same as on Mosquitto, and ``client.py`` picks the protocol version. It also handles a reused
client id before authenticating, so an unauthenticated client can disconnect a connected one
that uses the same id: one reason the embedded broker listens on loopback only and a
deployment with cars on the Internet uses Mosquitto (see docs/vehicle-protocol.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import structlog
from amqtt.broker import Broker
from amqtt.contexts import Action as AmqttAction
from amqtt.contexts import BrokerConfig, ListenerConfig, ListenerType
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin

from linkplus.db import Database
from linkplus.kit.secrets import same
from linkplus.vehicle_link import acl, credentials
from linkplus.vehicle_link.client import BrokerAddress, MqttVersion

log = structlog.get_logger("linkplus.vehicle_link.broker")

SESSION_EXPIRY_SECONDS = 14 * 24 * 3600


class BrokerAuthority:
    """Decides whether a connection's credentials are good."""

    def __init__(self, db: Database, *, gateway_secret: str) -> None:
        self._db = db
        self._gateway_secret = gateway_secret

    async def authenticate(
        self, *, username: str | None, password: str | None, client_id: str | None
    ) -> acl.Principal | None:
        principal = acl.claimed_principal(username, client_id)
        if principal is None or not password:
            return None
        if principal.role is acl.Role.gateway:
            return principal if same(password, self._gateway_secret) else None
        async with self._db.sessions() as session:
            good = await credentials.verify(session, vin=principal.name, secret=password)
        return principal if good else None


class LinkplusAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    @dataclass
    class Config:
        authority: BrokerAuthority

    async def authenticate(self, *, session: Any) -> bool:
        authority: BrokerAuthority = self.config.authority
        try:
            principal = await authority.authenticate(
                username=session.username, password=session.password, client_id=session.client_id
            )
        except Exception:  # a failing database must refuse the connection, not hang it
            log.exception("mqtt_auth_failed", client_id=session.client_id)
            return False
        if principal is None:
            log.info("mqtt_auth_refused", client_id=session.client_id)
            return False
        return True


class LinkplusTopicPlugin(BaseTopicPlugin):  # type: ignore[misc]
    @dataclass
    class Config:
        pass

    async def topic_filtering(
        self, *, session: Any = None, topic: str | None = None, action: Any = None
    ) -> bool:
        # The client id is bound to the authenticated user at CONNECT (see acl.claimed_principal),
        # so it identifies the principal; the session's username may be replaced by a later,
        # refused connection attempt that reuses the id.
        principal = acl.principal_of_client(session.client_id if session is not None else None)
        mapped = _ACTIONS.get(action)
        if principal is None or topic is None or mapped is None:
            return False
        return acl.allowed(principal, topic, mapped)


_ACTIONS = {
    AmqttAction.PUBLISH: acl.Action.publish,
    AmqttAction.SUBSCRIBE: acl.Action.subscribe,
    AmqttAction.RECEIVE: acl.Action.receive,
}


def broker_config(authority: BrokerAuthority, *, host: str, port: int) -> Any:
    return BrokerConfig(
        listeners={"default": ListenerConfig(type=ListenerType.TCP, bind=f"{host}:{port}")},
        plugins={
            f"{__name__}.LinkplusAuthPlugin": {"authority": authority},
            f"{__name__}.LinkplusTopicPlugin": {},
        },
        session_expiry_interval=SESSION_EXPIRY_SECONDS,
    )


class EmbeddedBroker:
    """An amqtt broker living in the current event loop: ``async with EmbeddedBroker(...)``."""

    def __init__(
        self, db: Database, *, gateway_secret: str, port: int, host: str = "127.0.0.1"
    ) -> None:
        self.host = host
        self.port = port
        self._authority = BrokerAuthority(db, gateway_secret=gateway_secret)
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}?version={MqttVersion.v311.value}"

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress(self.host, self.port, MqttVersion.v311)

    async def start(self) -> None:
        if self._broker is not None:
            return
        broker = Broker(broker_config(self._authority, host=self.host, port=self.port))
        await broker.start()
        self._broker = broker
        log.info("mqtt_broker_started", url=self.url)

    async def stop(self) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            await broker.shutdown()
            log.info("mqtt_broker_stopped", url=self.url)

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
