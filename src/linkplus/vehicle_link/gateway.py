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
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import time
import uuid
from collections import Counter as Tally
from collections.abc import Callable, Sequence
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
from linkplus.vehicle_link.client import (
    BrokerAddress,
    MqttVersion,
    acknowledge_after_processing,
    gateway_client,
)

log = structlog.get_logger("linkplus.vehicle_link.gateway")

RawMessage = tuple[str, bytes]
Acknowledge = Callable[[], None]
SHARE_GROUP = "linkplus"
BACKOFF_START = 0.5
BACKOFF_MAX = 30.0
PROVISIONED_CACHE_SECONDS = 300.0

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
        backoff = BACKOFF_START
        try:
            while not stop.is_set():
                try:
                    await self._session(stop)
                    backoff = BACKOFF_START
                except Exception as exc:  # a lost broker, or a bug: reconnect either way
                    self.connected.clear()
                    self.disconnected.set()
                    if isinstance(exc, aiomqtt.MqttError):
                        log.warning("gateway_disconnected", error=str(exc), retry_in=backoff)
                    elif isinstance(exc, MessagesNotStored):
                        log.warning("gateway_redelivery_needed", retry_in=backoff)
                    else:
                        log.exception("gateway_session_failed", retry_in=backoff)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX)
        finally:
            self.connected.clear()
            processor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await processor
            await self._drain()

    async def _session(self, stop: asyncio.Event) -> None:
        client = gateway_client(self.address, secret=self.secret, instance=self.instance)
        acknowledge = acknowledge_after_processing(client)
        self._unstored.clear()
        async with client:
            for channel in VEHICLE_CHANNELS:
                filter_ = protocol.subscription(channel, share_group=self.share_group)
                await client.subscribe(filter_, qos=1)
            self.connected.set()
            self.disconnected.clear()
            log.info("gateway_subscribed", broker=self.address.host, port=self.address.port)
            reader = asyncio.create_task(self._read(client, acknowledge), name="gateway-reader")
            stopping = asyncio.create_task(stop.wait())
            unstored = asyncio.create_task(self._unstored.wait())
            try:
                await asyncio.wait(
                    {reader, stopping, unstored}, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for task in (reader, stopping, unstored):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            self.connected.clear()
            if reader.done() and not reader.cancelled() and reader.exception() is not None:
                raise reader.exception()  # type: ignore[misc]
            if unstored.done() and not stop.is_set():
                raise MessagesNotStored()

    async def _read(
        self, client: aiomqtt.Client, acknowledge: Callable[[aiomqtt.Message], None]
    ) -> None:
        async for message in client.messages:
            payload = message.payload
            raw = bytes(payload) if isinstance(payload, bytes | bytearray) else b""
            await self._queue.put(
                ((message.topic.value, raw), functools.partial(acknowledge, message))
            )

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
