"""The gateway: reads every vehicle's messages from the broker and keeps the twin up to date.

One reader task takes messages off the MQTT connection into a bounded queue; one processor
task takes them out in batches (whatever has arrived, up to ``gateway_batch_size``, waiting at
most ``gateway_batch_window_ms`` for more) and stores each batch in one transaction with bulk
statements, which is what makes thousands of messages per second possible on one core.

Every message ends up counted once in ``linkplus_gateway_messages_total{result=...}``:

* ``malformed``: not a protocol message (``protocol.parse`` refused it), dropped;
* ``foreign_topic``: the topic names a VIN that has no provisioned unit, dropped;
* ``duplicate``: its ``msg_id`` was processed before (QoS 1 redelivery), dropped;
* ``processed``: stored;
* ``failed``: valid, but storing it failed twice (logged with the reason).

Nothing a car sends can stop the gateway: parsing never raises anything but
``MalformedMessage``, a batch that fails is retried and then stored message by message, and a
lost broker connection is reopened with a bounded back-off (0.5 s doubling to 30 s).

A message is acknowledged to the broker (PUBACK) only after the transaction that stored it has
committed, in the order the messages arrived. Until then the broker keeps it in the gateway's
persistent session, so a gateway that dies with messages read but not stored gets them again
from the broker on its next connection; the ones it had stored but not yet acknowledged come
again too and are counted as ``duplicate`` (de-duplication by ``msg_id`` keeps each message
stored once). A batch with a message that could not be stored is not acknowledged at all: the
gateway reconnects, after the back-off, so that the broker delivers it again.

Failover (gateways sharing an MQTT 5 shared subscription, docs/scaling.md): each gateway's
session is its own (client id ``linkplus-gateway-<instance>``) and held through a lease in the
database (``gateway_leases``), renewed every quarter of ``gateway_lease_seconds``. The broker
(Mosquitto 2.0) keeps a dead member's share of the messages queued in its session and never
hands them to the others, so a gateway whose lease ran out is taken over by a live one: it
connects with the dead session's client id, unsubscribes it from the shared group (new messages
go to the live members only), stores and acknowledges what the session held, and knows it has
all of it when a marker it published to the session itself comes back behind the rest; then it
ends the session and deletes the lease. A process that lost its lease (it could not renew it in
time) closes its connection and waits until it can claim its name again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import secrets
import time
import uuid
from collections import Counter as Tally
from collections.abc import Callable, Sequence
from datetime import timedelta
from enum import StrEnum

import aiomqtt
import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.protocol import vehicle as protocol
from linkplus.protocol.errors import MalformedMessage
from linkplus.protocol.vehicle import VEHICLE_CHANNELS, ParsedMessage
from linkplus.runtime import Runtime
from linkplus.vehicle_link import ingest, repository, twin
from linkplus.vehicle_link.acl import drain_marker_topic
from linkplus.vehicle_link.client import (
    BrokerAddress,
    MqttVersion,
    acknowledge_after_processing,
    connected,
    gateway_client,
)

log = structlog.get_logger("linkplus.vehicle_link.gateway")

RawMessage = tuple[str, bytes]
Acknowledge = Callable[[], object]
SHARE_GROUP = "linkplus"
BACKOFF_START = 0.5
BACKOFF_MAX = 30.0
PROVISIONED_CACHE_SECONDS = 300.0
TAKE_OVER_SECONDS = 120.0
"""How long emptying a dead gateway's session may take before it is given up (and the lease
let go, so that it is tried again)."""

_heap_frozen = False


def freeze_startup_heap() -> None:
    """Move everything alive at start-up (modules, the app, mappers, schemas: hundreds of
    thousands of objects that live as long as the process) out of the garbage collector's
    reach. Without this every full collection walks them all again, and at thousands of
    messages per second, each allocating parsed models and rows, that was about 40 % of the
    gateway's CPU time. Reference counting still frees them; only cycles among these start-up
    objects would never be collected. Once per process, after collecting what is garbage now."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


class MessagesNotStored(Exception):
    """A batch could not be stored: reconnect, so that the broker delivers it again."""


class LeaseLost(Exception):
    """This process no longer holds the lease of the session it is connected to."""


class _Outstanding:
    """What a take-over read from a dead session, and how much of it was acknowledged."""

    def __init__(self) -> None:
        self.read = 0
        self.acknowledged = 0
        self.marker_seen = False

    def counting(self, acknowledge: Acknowledge) -> Acknowledge:
        def counted() -> bool:
            sent = bool(acknowledge())
            if sent:
                self.acknowledged += 1
            return sent

        return counted

    @property
    def emptied(self) -> bool:
        return self.marker_seen and self.acknowledged == self.read


class Result(StrEnum):
    processed = "processed"
    duplicate = "duplicate"
    malformed = "malformed"
    foreign_topic = "foreign_topic"
    failed = "failed"


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.messages = Counter(
            "linkplus_gateway_messages",
            "Vehicle messages the gateway handled, by result",
            ["result"],
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "linkplus_gateway_batch_seconds",
            "Time to store one batch of vehicle messages",
            registry=registry,
        )
        for result in Result:
            self.messages.labels(result.value)

    def count(self, result: Result) -> int:
        value = self.registry.get_sample_value(
            "linkplus_gateway_messages_total", {"result": result.value}
        )
        return int(value or 0)


class Gateway:
    def __init__(
        self,
        runtime: Runtime,
        address: BrokerAddress,
        *,
        secret: str,
        instance: str = "1",
        share_group: str | None = None,
        registry: CollectorRegistry | None = None,
        leases: bool | None = None,
    ) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.address = address
        self.secret = secret
        self.instance = instance
        if share_group and address.version is not MqttVersion.v5:
            log.warning("shared_subscription_needs_mqtt5", broker=address.host)
            share_group = None
        self.share_group = share_group
        # Leases (and taking over a dead gateway's session) where gateways share the load.
        self.leases = (share_group is not None) if leases is None else leases
        self.lease_seconds = settings.gateway_lease_seconds
        self.lease_interval = self.lease_seconds / 4
        self._own_token = ""  # new at every claim: a renewal under an older one fails
        self.taken_over: list[str] = []  # sessions of dead gateways this one emptied and ended
        self._taking_over: set[str] = set()
        self.batch_size = settings.gateway_batch_size
        self.batch_window = settings.gateway_batch_window_ms / 1000
        self.metrics = GatewayMetrics(registry or CollectorRegistry())
        self.connected = asyncio.Event()
        self.disconnected = asyncio.Event()  # set while the broker connection is lost
        self.handled = 0
        # What was read and not yet stored, each with the PUBACK to send once it is.
        self._queue: asyncio.Queue[tuple[RawMessage, Acknowledge]] = asyncio.Queue(
            maxsize=self.batch_size * 20
        )
        self._unstored = asyncio.Event()  # set when a batch could not be stored
        self._progress = asyncio.Condition()
        self._provisioned: dict[str, float] = {}
        self._odometers: twin.KnownOdometers = {}

    # --- the loop ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set: stay connected, subscribed, and process what arrives."""
        freeze_startup_heap()
        processor = asyncio.create_task(self._process_forever(), name="gateway-processor")
        adopter = (
            asyncio.create_task(self._adopt_forever(stop), name="gateway-adopter")
            if self.leases
            else None
        )
        backoff = BACKOFF_START
        try:
            while not stop.is_set():
                try:
                    if self.leases and not await self._claim_own_lease(stop):
                        break  # stopped while waiting for the lease
                    await self._session(stop)
                    backoff = BACKOFF_START
                except Exception as exc:  # a lost broker, or a bug: reconnect either way
                    self.connected.clear()
                    self.disconnected.set()
                    if isinstance(exc, aiomqtt.MqttError):
                        log.warning("gateway_disconnected", error=str(exc), retry_in=backoff)
                    elif isinstance(exc, MessagesNotStored):
                        log.warning("gateway_redelivery_needed", retry_in=backoff)
                    elif isinstance(exc, LeaseLost):
                        log.warning("gateway_lease_lost", instance=self.instance)
                    else:
                        log.exception("gateway_session_failed", retry_in=backoff)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX)
        finally:
            self.connected.clear()
            if adopter is not None:
                adopter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await adopter
            processor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await processor
            await self._drain()
            if self.leases and self._own_token:
                await self._let_lease_go(self.instance, self._own_token)

    async def _session(self, stop: asyncio.Event) -> None:
        client = gateway_client(self.address, secret=self.secret, instance=self.instance)
        acknowledge = acknowledge_after_processing(client)
        self._unstored.clear()
        lost = asyncio.Event()
        async with connected(client):
            for channel in VEHICLE_CHANNELS:
                filter_ = protocol.subscription(channel, share_group=self.share_group)
                await client.subscribe(filter_, qos=1)
            self.connected.set()
            self.disconnected.clear()
            log.info(
                "gateway_subscribed",
                broker=self.address.host,
                port=self.address.port,
                instance=self.instance,
            )
            reader = asyncio.create_task(self._read(client, acknowledge), name="gateway-reader")
            stopping = asyncio.create_task(stop.wait())
            unstored = asyncio.create_task(self._unstored.wait())
            tasks = {reader, stopping, unstored}
            if self.leases:
                keep = self._keep_lease(self.instance, self._own_token, lost)
                tasks.add(asyncio.create_task(keep))
                tasks.add(asyncio.create_task(lost.wait()))
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            self.connected.clear()
            if reader.done() and not reader.cancelled() and reader.exception() is not None:
                raise reader.exception()  # type: ignore[misc]
            if lost.is_set() and not stop.is_set():
                raise LeaseLost()
            if unstored.done() and not stop.is_set():
                raise MessagesNotStored()

    async def _read(
        self,
        client: aiomqtt.Client,
        acknowledge: Callable[[aiomqtt.Message], bool],
        *,
        marker: tuple[str, bytes] | None = None,
        outstanding: _Outstanding | None = None,
    ) -> None:
        """Queue every message for storing, each with its acknowledgement. When taking over a
        session (``marker``, ``outstanding``): the marker is acknowledged, not stored, and what
        was read and acknowledged is counted."""
        async for message in client.messages:
            payload = message.payload
            raw = bytes(payload) if isinstance(payload, bytes | bytearray) else b""
            if marker is not None and outstanding is not None and message.topic.value == marker[0]:
                acknowledge(message)  # ours: an earlier attempt's marker is only acknowledged
                if raw == marker[1]:
                    outstanding.marker_seen = True
                continue
            ack: Acknowledge = functools.partial(acknowledge, message)
            if outstanding is not None:
                outstanding.read += 1
                ack = outstanding.counting(ack)
            await self._queue.put(((message.topic.value, raw), ack))

    # --- leases and taking over a dead gateway's session ----------------------------------------

    async def _claim_own_lease(self, stop: asyncio.Event) -> bool:
        """Wait until this process holds the lease of its own session; False when stopped."""
        told = False
        while not stop.is_set():
            now = self.runtime.clock.now()
            until = now + timedelta(seconds=self.lease_seconds)
            token = secrets.token_hex(16)
            try:
                async with self.runtime.db.transaction() as session:
                    # Reconnecting (after a lost broker, or a batch to be delivered again):
                    # the lease this process holds still counts.
                    if self._own_token and await repository.renew_lease(
                        session, name=self.instance, token=self._own_token, until=until
                    ):
                        return True
                    claimed = await repository.claim_own_lease(
                        session, name=self.instance, token=token, now=now, until=until
                    )
            except Exception:
                log.warning("gateway_lease_unavailable", instance=self.instance, exc_info=True)
                claimed = False
            if claimed:
                self._own_token = token
                return True
            if not told:
                told = True
                log.warning(
                    "gateway_waiting_for_lease",
                    instance=self.instance,
                    reason="another run of this instance, or a gateway emptying its session, "
                    "holds it",
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.lease_interval)
        return False

    async def _keep_lease(self, name: str, token: str, lost: asyncio.Event) -> None:
        """Renew the lease of ``name`` until cancelled; set ``lost`` when another process has
        it, or when it could not be renewed for most of its life (the database is away: an
        adopter may take the session soon, so let it go before that)."""
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(self.lease_interval)
            now = self.runtime.clock.now()
            try:
                async with self.runtime.db.transaction() as session:
                    held = await repository.renew_lease(
                        session,
                        name=name,
                        token=token,
                        until=now + timedelta(seconds=self.lease_seconds),
                    )
            except Exception:
                log.warning("gateway_lease_not_renewed", name=name, exc_info=True)
                if time.monotonic() - renewed > self.lease_seconds * 0.6:
                    lost.set()
                    return
                continue
            if not held:
                lost.set()
                return
            renewed = time.monotonic()

    async def _let_lease_go(self, name: str, token: str) -> None:
        """Let the lease expire now, so that a live gateway takes the session over at once."""
        try:
            async with self.runtime.db.transaction() as session:
                await repository.release_lease(
                    session, name=name, token=token, now=self.runtime.clock.now()
                )
        except Exception:
            log.warning("gateway_lease_not_released", name=name, exc_info=True)

    async def _adopt_forever(self, stop: asyncio.Event) -> None:
        """Look for sessions whose gateway stopped renewing its lease, and take them over."""
        running: set[asyncio.Task[None]] = set()
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.lease_interval)
                if stop.is_set() or not self.connected.is_set():
                    continue  # take nothing over before this process's own session is up
                try:
                    for name, token in await self._adopt_expired():
                        task = asyncio.create_task(self._take_over(name, token, stop))
                        running.add(task)
                        task.add_done_callback(running.discard)
                except Exception:
                    log.warning("gateway_adoption_failed", exc_info=True)
        finally:
            for task in list(running):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _adopt_expired(self) -> list[tuple[str, str]]:
        """Adopt the expired leases of other gateways (never this process's own name: when its
        own lease ran out, its own loop claims it again and resumes the session)."""
        now = self.runtime.clock.now()
        until = now + timedelta(seconds=self.lease_seconds)
        adopted = []
        async with self.runtime.db.transaction() as session:
            for name in await repository.expired_leases(session, now=now):
                if name in self._taking_over or name == self.instance:
                    continue
                token = secrets.token_hex(16)
                if await repository.adopt_lease(
                    session, name=name, holder=self.instance, token=token, now=now, until=until
                ):
                    adopted.append((name, token))
        self._taking_over.update(name for name, _ in adopted)
        return adopted

    async def _take_over(self, name: str, token: str, stop: asyncio.Event) -> None:
        """Empty the session ``name`` of a dead gateway into this one's store, then end it."""
        started = time.monotonic()
        outstanding = _Outstanding()
        lost = asyncio.Event()
        keeper = asyncio.create_task(self._keep_lease(name, token, lost))
        ended = False
        try:
            log.warning("gateway_taking_over", session=name, by=self.instance)
            async with asyncio.timeout(TAKE_OVER_SECONDS):
                await self._empty_session(name, outstanding, lost, stop)
            # Nothing is left in it: end it, so the broker forgets the session altogether.
            async with connected(
                gateway_client(
                    self.address,
                    secret=self.secret,
                    instance=name,
                    session_expiry=0,
                    clean_start=True,
                )
            ):
                pass
            ended = True
            async with self.runtime.db.transaction() as session:
                await repository.end_lease(session, name=name, token=token)
            self.taken_over.append(name)
            log.warning(
                "gateway_took_over",
                session=name,
                by=self.instance,
                messages=outstanding.read,
                seconds=round(time.monotonic() - started, 3),
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("gateway_take_over_failed", session=name, ended=ended, exc_info=True)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            if not ended:
                await self._let_lease_go(name, token)
            self._taking_over.discard(name)

    async def _empty_session(
        self, name: str, outstanding: _Outstanding, lost: asyncio.Event, stop: asyncio.Event
    ) -> None:
        client = gateway_client(self.address, secret=self.secret, instance=name)
        acknowledge = acknowledge_after_processing(client)
        marker = (drain_marker_topic(name), secrets.token_hex(16).encode())
        async with connected(client):
            # New messages go to the live members of the group from now on.
            for channel in VEHICLE_CHANNELS:
                await client.unsubscribe(
                    protocol.subscription(channel, share_group=self.share_group)
                )
            # The broker queues the marker behind everything the session still holds.
            await client.subscribe(marker[0], qos=1)
            await client.publish(marker[0], marker[1], qos=1)
            reader = asyncio.create_task(
                self._read(client, acknowledge, marker=marker, outstanding=outstanding)
            )
            try:
                while True:
                    if reader.done():
                        reader.result()  # the connection broke: raise its error
                        raise aiomqtt.MqttError("the connection ended while taking over")
                    if lost.is_set() or stop.is_set():
                        raise LeaseLost()
                    if outstanding.emptied:
                        # An answer from the broker after every acknowledgement: it has taken
                        # them all in (it handles one connection's packets in order).
                        await client.unsubscribe(marker[0])
                        if outstanding.emptied:
                            return
                    await asyncio.sleep(0.05)
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                    await reader

    async def _process_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self.batch_window
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                    continue
                except asyncio.QueueEmpty:
                    pass
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            await self._process_then_acknowledge(batch)

    async def _process_then_acknowledge(
        self, batch: Sequence[tuple[RawMessage, Acknowledge]]
    ) -> None:
        """Store a batch, then acknowledge its messages in the order they came; none of them
        when one could not be stored (the broker delivers them all again after a reconnect, and
        the stored ones are then duplicates)."""
        try:
            tally = await self.process([raw for raw, _ in batch])
        except Exception:  # process() handles its own failures; this keeps the loop alive
            log.exception("gateway_batch_crashed", size=len(batch))
            self._unstored.set()
            return
        if tally[Result.failed]:
            self._unstored.set()
            return
        for _, acknowledge in batch:
            acknowledge()

    async def _drain(self) -> None:
        """Store what was received before stopping (the connection is closed by now, so these
        are not acknowledged: the broker delivers them again and they count as duplicates)."""
        batch: list[RawMessage] = []
        while not self._queue.empty():
            raw, _ = self._queue.get_nowait()
            batch.append(raw)
        if batch:
            await self.process(batch)

    async def wait_handled(self, count: int) -> None:
        """Wait until ``count`` messages in all have been handled (for tests and benchmarks;
        callers bound the wait with ``asyncio.timeout``)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.handled >= count)

    # --- one batch ----------------------------------------------------------------------------

    async def process(self, batch: Sequence[RawMessage]) -> Tally[Result]:
        """Validate, de-duplicate and store a batch; count every message once. Never raises."""
        started = time.perf_counter()
        tally: Tally[Result] = Tally()
        parsed: list[ParsedMessage] = []
        for topic_name, payload in batch:
            try:
                message = protocol.parse(topic_name, payload)
            except MalformedMessage as exc:
                tally[Result.malformed] += 1
                log.info(
                    "message_malformed", topic=topic_name[:120], kind=exc.kind, reason=exc.reason
                )
                continue
            if message.channel not in VEHICLE_CHANNELS:
                tally[Result.malformed] += 1
                continue
            parsed.append(message)
        if parsed:
            tally.update(await self._store(parsed))
        for result, count in tally.items():
            self.metrics.messages.labels(result.value).inc(count)
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        async with self._progress:
            self.handled += len(batch)
            self._progress.notify_all()
        return tally

    async def _store(self, parsed: list[ParsedMessage]) -> Tally[Result]:
        for attempt in (1, 2):  # a second try gets past a deadlock or a busy database
            try:
                return await self._store_once(parsed)
            except Exception:
                log.warning(
                    "gateway_batch_failed", attempt=attempt, size=len(parsed), exc_info=True
                )
        if len(parsed) == 1:
            log.error("gateway_message_failed", vin=parsed[0].vin)
            return Tally({Result.failed: 1})
        tally: Tally[Result] = Tally()
        for one in parsed:  # keep the good messages of a batch that holds a bad one
            try:
                tally.update(await self._store_once([one]))
            except Exception:
                log.exception("gateway_message_failed", vin=one.vin)
                tally[Result.failed] += 1
        return tally

    async def _store_once(self, parsed: list[ParsedMessage]) -> Tally[Result]:
        now = self.runtime.clock.now()
        tally: Tally[Result] = Tally()
        async with self.runtime.db.transaction() as session:
            known = await self._known_vins(session, {p.vin for p in parsed})
            unique: dict[uuid.UUID, ParsedMessage] = {}
            for message in parsed:
                if message.vin not in known:
                    tally[Result.foreign_topic] += 1
                    log.info("message_foreign_topic", vin=message.vin)
                elif message.message.msg_id in unique:
                    tally[Result.duplicate] += 1
                else:
                    unique[message.message.msg_id] = message
            fresh_ids = await repository.claim_messages(session, list(unique), now=now)
            fresh = [message for msg_id, message in unique.items() if msg_id in fresh_ids]
            tally[Result.duplicate] += len(unique) - len(fresh)
            recorded = await twin.apply_batch(
                session,
                self.runtime,
                ingest.plan_batch(fresh),
                now=now,
                known_odometers=self._odometers,
            )
            tally[Result.processed] += len(fresh)
        self._odometers.update(recorded)  # committed: the registry has these now
        return tally

    async def _known_vins(self, session: AsyncSession, vins: set[str]) -> set[str]:
        """Provisioned VINs among ``vins``; known ones are remembered for a few minutes."""
        clock = time.monotonic()
        known = {vin for vin in vins if self._provisioned.get(vin, 0.0) > clock}
        unknown = vins - known
        if unknown:
            found = await repository.provisioned_vins(session, unknown)
            for vin in found:
                self._provisioned[vin] = clock + PROVISIONED_CACHE_SECONDS
            known |= found
        return known
