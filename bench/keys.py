"""Digital key: the car's check of a phone against a bare ECDSA verify, and the time from the
owner's revoke to the car's confirmation through the real broker.

Usage: ``.venv/bin/python bench/keys.py [--quick]``

* **car check**: a simulated car's key reader (``sim.keys.KeyReader``) hands out a nonce and
  checks the phone's certificate and signed answer (``challenge`` + ``check``: parse, the key
  authority's signature, validity, limits, revocation list, the answer's signature), against, in
  the same run, one bare ECDSA P-256 verify (SHA-256) of a message of the same size as the
  challenge text. The ratio is car check / bare verify (two verifies make the floor about 2).
* **revoke to confirmation**: the platform as the end-to-end tests run it (``tests.keys_e2e``:
  SQLite in a temporary directory, the embedded amqtt broker, the gateway, the command publisher,
  a running simulated car): the wall time from ``POST .../keys/{id}/revoke`` until the
  revocation's ``confirmed_at`` is committed (the API signs and publishes ``key_revoke`` at once,
  the car checks and answers, the gateway stores the answer and confirms in one transaction);
  read by polling the database every 2 ms.

``--quick`` runs in well under a minute. The last line of output is one line of JSON with the
figures and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.*: the same end-to-end set-up as the tests

from bench._support import machine  # noqa: E402
from tests.keys_e2e.support import key_world  # noqa: E402
from tests.support import START  # noqa: E402

from linkplus.app import create_app  # noqa: E402
from linkplus.bootstrap import build_runtime  # noqa: E402
from linkplus.config import Settings  # noqa: E402
from linkplus.jobs.worker import Worker  # noqa: E402
from linkplus.keys import certificates  # noqa: E402
from linkplus.keys.certificates import Certificate, Limits, Refusal  # noqa: E402
from linkplus.migrate import upgrade  # noqa: E402
from linkplus.models.keys import DigitalKey, KeyRevocation  # noqa: E402
from linkplus.runtime import Runtime  # noqa: E402
from linkplus.sim.car import SimulatedCar  # noqa: E402
from linkplus.sim.clock import ManualClock  # noqa: E402
from linkplus.sim.keys import KeyReader, SimulatedPhone  # noqa: E402
from linkplus.sim.roads import build_network  # noqa: E402
from linkplus.sim.unit import TelematicsUnit  # noqa: E402
from linkplus.vehicle_link import credentials  # noqa: E402
from linkplus.vehicle_link.client import BrokerAddress  # noqa: E402
from linkplus.vehicles.catalogue import catalogue  # noqa: E402

VIN = "LPKEYBENCH0000001"


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def car_check(rounds: int) -> dict[str, Any]:
    """Per-check times of the car's reader and of a bare verify, interleaved, in ms."""
    clock = ManualClock(START)
    model = catalogue().models["NX450HP"]
    car = SimulatedCar.create(vin=VIN, model=model, network=build_network(1), seed=1, start=START)
    never_used = credentials.new_secret()  # the unit never connects: the reader is a local call
    unit = TelematicsUnit(
        car, secret=never_used, address=BrokerAddress("127.0.0.1", 1), clock=clock, plan=[]
    )
    authority = certificates.authority_key(b"bench-master-secret", VIN)
    reader = KeyReader.provision(unit, certificates.encode_public(authority.public_key()))
    reader.revoke([str(uuid.uuid4()) for _ in range(50)])  # a car with some history
    phone = SimulatedPhone()
    certificate = certificates.issue(
        authority,
        Certificate(
            key_id=uuid.uuid4(),
            vin=VIN,
            role="limited",
            public_key=phone.public_key,
            not_before=certificates.unix(START - timedelta(days=1)),
            not_after=certificates.unix(START + timedelta(days=30)),
            limits=Limits(days=(1, 2, 3, 4, 5, 6, 7), hours=(0, 1439), tz="Europe/Brussels"),
        ),
    )
    bare_key = ec.generate_private_key(certificates.CURVE)
    message = certificates.challenge_text(VIN, b"n" * certificates.NONCE_BYTES)
    bare_signature = bare_key.sign(message, ec.ECDSA(hashes.SHA256()))
    bare_public = bare_key.public_key()
    car_ms: list[float] = []
    bare_ms: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        nonce = reader.challenge()
        challenged = time.perf_counter()
        answer = phone.answer(VIN, nonce)  # the phone's work: not the car's
        answered = time.perf_counter()
        verdict, _ = reader.check(certificate, nonce, answer)
        done = time.perf_counter()
        assert verdict is Refusal.ok, verdict
        car_ms.append((challenged - started + done - answered) * 1000)
        started = time.perf_counter()
        bare_public.verify(bare_signature, message, ec.ECDSA(hashes.SHA256()))
        bare_ms.append((time.perf_counter() - started) * 1000)
    car_p50, bare_p50 = statistics.median(car_ms), statistics.median(bare_ms)
    return {
        "rounds": rounds,
        "car_check_ms_p50": round(car_p50, 4),
        "car_check_ms_p99": round(_percentile(car_ms, 99), 4),
        "bare_verify_ms_p50": round(bare_p50, 4),
        "bare_verify_ms_p99": round(_percentile(bare_ms, 99), 4),
        "ratio_p50": round(car_p50 / bare_p50, 2),
    }


async def revoke_to_confirmation(samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(url)
        settings = Settings(
            data_dir=Path(tmp),
            database_url=url,
            secret_key="bench-secret-key-that-is-long-enough-for-hs256-signing",  # noqa: S106
            public_url="http://bench",
            worker_enabled=False,
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            argon2_parallelism=1,
            log_level="ERROR",
        )
        clock = ManualClock(START)
        runtime = build_runtime(settings, clock=clock)
        app = create_app(runtime, run_worker=False)
        transport = httpx.ASGITransport(app=app)
        worker = Worker(runtime, name="bench-worker")
        times: list[float] = []
        try:
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
                key_world(runtime, client, worker, clock) as world,
            ):
                for _ in range(samples):
                    _, key = await world.invited_driver("car", SimulatedPhone())
                    headers = await world.owner_headers("car")
                    started = time.perf_counter()
                    answer = await client.post(
                        f"/api/v1/vehicles/{world.vin('car')}/keys/{key['id']}/revoke",
                        headers=headers,
                    )
                    assert answer.status_code == 200, answer.text
                    while not await _confirmed(runtime, key["id"]):  # noqa: ASYNC110
                        await asyncio.sleep(0.002)  # the gateway's commit is in this process
                    times.append((time.perf_counter() - started) * 1000)
                    clock.advance(seconds=1)
        finally:
            await runtime.db.dispose()
    return {
        "samples": samples,
        "revoke_to_confirmed_ms_p50": round(statistics.median(times), 1),
        "revoke_to_confirmed_ms_max": round(max(times), 1),
    }


async def _confirmed(runtime: Runtime, key_id: str) -> bool:
    async with runtime.db.read() as session:
        confirmed = await session.scalar(
            select(KeyRevocation.confirmed_at)
            .join(DigitalKey, DigitalKey.revocation_id == KeyRevocation.id)
            .where(DigitalKey.id == uuid.UUID(key_id))
        )
    return confirmed is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under a minute)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    rounds, samples = (2000, 10) if args.quick else (20000, 50)
    check = car_check(rounds)
    print(
        f"car check p50 {check['car_check_ms_p50']} ms, bare verify p50 "
        f"{check['bare_verify_ms_p50']} ms, ratio {check['ratio_p50']}"
    )
    revocation = asyncio.run(revoke_to_confirmation(samples))
    print(f"revoke to confirmation p50 {revocation['revoke_to_confirmed_ms_p50']} ms")
    print(json.dumps({"car": check, "revocation": revocation, "machine": machine()}))


if __name__ == "__main__":
    main()
