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
same as on Mosquitto, and ``client.py`` picks the protocol version.

amqtt 0.12.1's own connection hand-over is replaced (``_Broker``), because it stalled a fleet:
when a client id connected again while its previous connection was still open (a unit whose
CONNACK came late, a car back from a dead spot), amqtt let the old connection's clean-up run
after the new connection had started, on the session both share. The session was left marked
"disconnected" with a live connection, so every message for that car was queued for a next
connection that never came. amqtt also took the id over (and wrote the newcomer's credentials
and will into the session) before authenticating, so a refused connection could cut a
connected car off. ``_Broker`` authenticates first, ends the old connection and waits for its
clean-up to finish, then attaches the new one (see docs/vehicle-protocol.md).

amqtt 0.12.1 also waited 5 s for a subscriber's PUBACK to a QoS 1 message and then forgot the
message: it was neither sent again on that connection nor kept for the next. The gateway
acknowledges a message only once it is stored (``client.acknowledge_after_processing``), so a
gateway that took longer than 5 s (a loaded machine, a database busy for a moment) lost vehicle
messages on the embedded broker. ``_DeliveryHandler`` delivers QoS 1 as MQTT 3.1.1 says (4.4):
the message stays in flight until its PUBACK comes, however long that takes, and one still in
flight when the connection ends is sent again, marked DUP, when the session reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import structlog
from amqtt.broker import Broker
from amqtt.contexts import Action as AmqttAction
from amqtt.contexts import BrokerConfig, ListenerConfig, ListenerType
from amqtt.errors import AMQTTError, MQTTError, NoDataError
from amqtt.events import BrokerEvents
from amqtt.mqtt.constants import QOS_1
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import OUTGOING
from amqtt.utils import gen_client_id

from linkplus.db import Database
from linkplus.kit.secrets import same
from linkplus.vehicle_link import acl, credentials
from linkplus.vehicle_link.client import BrokerAddress, MqttVersion

log = structlog.get_logger("linkplus.vehicle_link.broker")

SESSION_EXPIRY_SECONDS = 14 * 24 * 3600
HASH_CHECKS_AT_ONCE = max(1, min(4, os.cpu_count() or 1))
"""Checks against old scrypt hashes running at once: more only queue in the thread pool that
aiomqtt's connects and the rest of the platform's ``to_thread`` work also use (current hashes
are a salted SHA-256, checked inline: ``credentials``)."""
HANDOVER_SECONDS = 10.0
"""How long a new connection waits for the previous connection with its client id to be cleaned
up; only reached when amqtt's clean-up hangs, and then the session is closed here."""


class _HashReader:
    """Reads the units' stored hashes for the connections arriving together in one statement.

    A fleet connects all at once (a broker restart, a network coming back). One read per
    connection took a pooled database connection each (and, before ``Database.read()``, the
    SQLite write lock each), so a thousand cars queued behind one another and behind the
    gateway and the API until the pool or the lock timed out and the broker refused them. Here
    the lookups that arrive while a read runs wait for the next read, which takes all of them:
    a storm costs a handful of statements.
    """

    BATCH = 500

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: dict[str, list[asyncio.Future[str | None]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def stored_hash(self, vin: str) -> str | None:
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(vin, []).append(future)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="broker-credential-reads")
        return await future

    async def _read(self) -> None:
        while self._waiting:
            vins = list(self._waiting)[: self.BATCH]
            batch = {vin: self._waiting.pop(vin) for vin in vins}
            try:
                async with self._db.read() as session:
                    found = await credentials.stored_hashes(session, vins)
            except Exception as exc:  # each waiting connection is refused with the error
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            for vin, futures in batch.items():
                for future in futures:
                    if not future.done():
                        future.set_result(found.get(vin))


class BrokerAuthority:
    """Decides whether a connection's credentials are good.

    A unit's secret is checked against its stored hash (``credentials.check``: a salted SHA-256,
    or scrypt for a credential stored by an earlier version). After a slow scrypt check the
    authority remembers the SHA-256 of the secret that matched that hash, so the unit's next
    connections cost one SHA-256. A rotated secret changes the stored hash, which makes the
    remembered one useless. The hashes are read in batches (``_HashReader``) and checked with no
    database session open.
    """

    def __init__(self, db: Database, *, gateway_secret: str) -> None:
        self._hashes = _HashReader(db)
        self._gateway_secret = gateway_secret
        self._hashing = asyncio.Semaphore(HASH_CHECKS_AT_ONCE)
        self._verified: dict[str, tuple[str, bytes]] = {}  # VIN -> (stored hash, SHA-256)

    async def authenticate(
        self, *, username: str | None, password: str | None, client_id: str | None
    ) -> acl.Principal | None:
        principal = acl.claimed_principal(username, client_id)
        if principal is None or not password:
            return None
        if principal.role is acl.Role.gateway:
            return principal if same(password, self._gateway_secret) else None
        vin = principal.name
        stored = await self._hashes.stored_hash(vin)
        if stored is None or not credentials.is_slow(stored):  # the current scheme: one SHA-256
            return principal if await credentials.check(stored, password) else None
        # A credential stored as scrypt by an earlier version: checked once, then remembered.
        digest = hashlib.sha256(password.encode()).digest()
        known = self._verified.get(vin)
        if known is not None and known[0] == stored and hmac.compare_digest(known[1], digest):
            return principal
        async with self._hashing:
            good = await credentials.check(stored, password)
        if not good:
            return None
        self._verified[vin] = (stored, digest)
        return principal


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


class _DeliveryHandler(BrokerProtocolHandler):  # type: ignore[misc]
    """amqtt's connection handler with QoS 1 delivery that never gives up on a connected
    subscriber and keeps what was not acknowledged for the session's next connection (see the
    module's docstring). Incoming messages and QoS 2 are amqtt's own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redeliveries: set[asyncio.Task[None]] = set()

    async def _handle_qos1_message_flow(self, app_message: Any) -> None:
        if app_message.direction != OUTGOING or app_message.qos != QOS_1:
            await super()._handle_qos1_message_flow(app_message)
            return
        session = self.session
        packet_id = app_message.packet_id
        if session is None or packet_id is None:
            raise AMQTTError("a QoS 1 delivery needs a session and a packet id")
        session.inflight_out[packet_id] = app_message
        retry = app_message.publish_packet is not None
        packet = app_message.build_publish_packet(dup=retry)
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._puback_waiters[packet_id] = waiter  # before sending: the PUBACK may come at once
        try:
            await self._send_packet(packet)
            app_message.publish_packet = packet
            app_message.puback_packet = await waiter
        finally:
            if self._puback_waiters.get(packet_id) is waiter:
                del self._puback_waiters[packet_id]
        # Acknowledged: no longer in flight. Cancelled (the connection ended): it stays in
        # ``inflight_out`` and ``_retry_deliveries`` sends it again on the next connection.
        session.inflight_out.pop(packet_id, None)

    async def _retry_deliveries(self) -> None:
        """Send the session's unacknowledged QoS 1 messages again, in their order, without
        holding up the connection's start (amqtt awaited each for up to 10 s, then dropped it);
        anything else in flight goes through amqtt's own retry."""
        session = self.session
        if session is None:
            raise AMQTTError("Session is not initialized.")
        others = []
        for message in list(session.inflight_out.values()):
            if message.qos == QOS_1:
                task = asyncio.create_task(self._handle_qos1_message_flow(message))
                self._redeliveries.add(task)
                task.add_done_callback(self._redelivered)
            else:
                others.append(message)
        others.extend(session.inflight_in.values())
        if others:
            await asyncio.wait(
                [
                    asyncio.create_task(asyncio.wait_for(self._handle_message_flow(m), 10))
                    for m in others
                ]
            )

    def _redelivered(self, task: asyncio.Task[None]) -> None:
        self._redeliveries.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("mqtt_redelivery_failed", error=str(task.exception()))


class _Broker(Broker):  # type: ignore[misc]
    """amqtt's broker with the handling of a CONNECT replaced (see the module's docstring).

    The steps of ``Broker._initialize_client_session`` and ``_handle_client_session`` in amqtt
    0.12.1, reordered: read the CONNECT into a session of its own; authenticate it (refused: a
    CONNACK "not authorized", and nothing of the broker's state touched); then, one connection
    per client id at a time, end the previous connection and wait until amqtt's clean-up of it
    has marked the session disconnected; only then take the stored session (or start a new
    one), attach the connection and answer CONNACK. Retained messages are sent for the
    session's own subscriptions only (amqtt sent those of every subscription on the broker).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._handover_locks: dict[str, asyncio.Lock] = {}
        self._loop_done: dict[BrokerProtocolHandler, asyncio.Event] = {}
        self._arrived: dict[BrokerProtocolHandler, float] = {}
        self._wildcard_filters: set[str] = set()

    async def add_subscription(self, subscription: tuple[str, int], session: Any) -> int:
        granted: int = await super().add_subscription(subscription, session)
        topic_filter = subscription[0]
        if topic_filter in self._subscriptions and ("+" in topic_filter or "#" in topic_filter):
            self._wildcard_filters.add(topic_filter)
        return granted

    async def _run_broadcast(self, running_tasks: Any) -> None:
        """Deliver one published message: amqtt 0.12.1's steps, with two changes.

        amqtt matched the topic against every subscription on the broker (one per car: a
        thousand string matches and as many formatted debug lines per message), and iterated
        the live subscription table across awaits, so a car subscribing meanwhile raised
        "dictionary changed size during iteration" and the message was dropped. Here the
        topic is looked up directly and only the wildcard filters (the gateway's) are matched,
        over copies of the subscriber lists.
        """
        broadcast = await self._broadcast_queue.get()
        topic_name = broadcast["topic"]
        filters = [topic_name] if topic_name in self._subscriptions else []
        for topic_filter in list(self._wildcard_filters):
            if topic_filter not in self._subscriptions:
                self._wildcard_filters.discard(topic_filter)
            elif self._matches(topic_name, topic_filter):
                filters.append(topic_filter)
        for topic_filter in filters:
            for target, subscribed_qos in list(self._subscriptions.get(topic_filter, ())):
                qos = broadcast.get("qos", subscribed_qos)
                if not await self._topic_filtering(
                    target, topic=topic_name, action=AmqttAction.RECEIVE
                ):
                    continue
                connected = target.transitions.state == "connected"
                if not connected and not target.clean_session and qos in (1, 2):
                    if not target.is_anonymous:  # kept for the session's next connection
                        await self._retain_broadcast_message(broadcast, qos, target)
                    continue
                handler = self._get_handler(target) if connected else None
                if handler is not None:
                    running_tasks.append(
                        asyncio.ensure_future(
                            handler.mqtt_publish(topic_name, broadcast["data"], qos, retain=False)
                        )
                    )

    async def _initialize_client_session(
        self, reader: Any, writer: Any, remote_address: str, remote_port: int
    ) -> tuple[BrokerProtocolHandler, Any]:
        try:
            handler, incoming = await _DeliveryHandler.init_from_connect(
                reader, writer, self.plugins_manager
            )
        except (AMQTTError, MQTTError, NoDataError) as exc:
            log.info("mqtt_bad_connect", peer=f"{remote_address}:{remote_port}", error=str(exc))
            with contextlib.suppress(Exception):
                await writer.close()
            raise AMQTTError(exc) from exc
        if not incoming.client_id:
            incoming.client_id = gen_client_id()  # clean session only: amqtt refuses the rest
        self._arrived[handler] = time.monotonic()
        return handler, incoming

    async def _handle_client_session(
        self,
        reader: Any,
        writer: Any,
        client_session: Any,
        handler: BrokerProtocolHandler,
        server: Any,
        listener_name: str,
    ) -> None:
        incoming = client_session
        client_id: str = incoming.client_id
        if not await self._authenticate(incoming, self.listeners_config[listener_name]):
            self._arrived.pop(handler, None)
            incoming.parent = 0
            handler.attach(incoming, reader, writer)
            await handler.mqtt_connack_authorize(False)
            with contextlib.suppress(OSError):  # the client may have gone already
                await writer.close()
            return
        done = asyncio.Event()
        session: Any = None
        try:
            async with self._handover_locks.setdefault(client_id, asyncio.Lock()):
                if not await self._end_previous_connection(client_id, handler):
                    log.info("mqtt_stale_connect_refused", client_id=client_id)
                    incoming.parent = 0
                    handler.attach(incoming, reader, writer)
                    await handler.mqtt_connack_authorize(False)
                    with contextlib.suppress(OSError):  # the client may have gone already
                        await writer.close()
                    return
                session = await self._session_for(incoming)
                session.transitions.connect()
                handler.attach(session, reader, writer)
                self._sessions[client_id] = (session, handler)
                self._loop_done[handler] = done
                await handler.mqtt_connack_authorize(True)
                await self.plugins_manager.fire_event(
                    BrokerEvents.CLIENT_CONNECTED, client_id=client_id, client_session=session
                )
                await handler.start()
                await self._publish_session_retained_messages(session)
                await self._publish_retained_for_own_subscriptions(session)
            await self._client_message_loop(session, handler)
        finally:
            if session is not None:
                await self._disconnect_if_current(client_id, session, handler)
            done.set()
            self._loop_done.pop(handler, None)
            self._arrived.pop(handler, None)

    async def _end_previous_connection(
        self, client_id: str, newcomer: BrokerProtocolHandler
    ) -> bool:
        """End the open connection with ``client_id``, if any; False (and nothing ended) when
        that connection's CONNECT came after the newcomer's. Checks finish out of order in a
        connect storm: a unit gives up waiting for its CONNACK and connects again, and the
        attempt it gave up on must not then cut off the one it is using."""
        previous = self._sessions.get(client_id)
        if previous is None:
            return True
        session, handler = previous
        if not session.transitions.is_connected():
            return True
        if self._arrived.get(handler, 0.0) > self._arrived.get(newcomer, 0.0):
            return False
        log.info("mqtt_connection_taken_over", client_id=client_id)
        done = self._loop_done.get(handler)
        await handler.handle_connection_closed()  # its message loop sees the disconnection
        if done is not None:
            try:
                await asyncio.wait_for(done.wait(), HANDOVER_SECONDS)
            except TimeoutError:
                log.warning("mqtt_takeover_cleanup_slow", client_id=client_id)
        await self._disconnect_if_current(client_id, session, handler)
        return True

    async def _disconnect_if_current(
        self, client_id: str, session: Any, handler: BrokerProtocolHandler
    ) -> None:
        """amqtt's message loop marks the session disconnected when the connection ends, but
        not when it leaves for another reason (an invalid topic, an error): do it then."""
        current = self._sessions.get(client_id)
        if current is None or current[1] is not handler or not session.transitions.is_connected():
            return
        await self._stop_handler(handler)
        session.transitions.disconnect()
        await self.plugins_manager.fire_event(
            BrokerEvents.CLIENT_DISCONNECTED, client_id=client_id, client_session=session
        )

    async def _session_for(self, incoming: Any) -> Any:
        client_id = incoming.client_id
        existing = self._sessions.get(client_id)
        session = incoming
        if incoming.clean_session:
            if existing is not None:
                await self._delete_session(client_id)
            session.parent = 0
        elif existing is not None:
            session = existing[0]
            for name in (
                "will_flag",
                "will_message",
                "will_topic",
                "will_qos",
                "will_retain",
                "keep_alive",
                "username",
                "password",
            ):
                setattr(session, name, getattr(incoming, name))
            session.parent = 1
        else:
            session.parent = 0
        delay = self.config.get("timeout-disconnect-delay", 0)
        if session.keep_alive > 0 and isinstance(delay, int):
            session.keep_alive += delay
        return session

    async def _publish_retained_for_own_subscriptions(self, session: Any) -> None:
        if not self._retained_messages:
            return
        for topic_filter, subscribers in list(self._subscriptions.items()):
            for subscriber, qos in subscribers:
                if subscriber is session:
                    await self._publish_retained_messages_for_subscription(
                        (topic_filter, qos), session
                    )


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
        broker = _Broker(broker_config(self._authority, host=self.host, port=self.port))
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
