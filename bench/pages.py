"""Server time of every owner page on the demo's data, against a bare Starlette handler that
renders the same template from the same rows; and each page's weight.

Usage: ``.venv/bin/python bench/pages.py [--quick] [--requests N]``

The demo is put in place exactly as ``linkplus demo`` does it (``prepare_demo``: the demo owner,
three cars with a month of trips and their services), without the simulator, in a SQLite file
in a temporary data dir (the demo's database). The demo owner signs in through the sign-in form.
``--quick`` gives the cars three days of past trips instead of the demo's month (uploading a
month through the trip ingestion takes about half a minute on a busy 2-core machine) and times
12 requests per page and side; the full run uses the demo's month and 300 requests.

The pages are found, not listed: starting from the five sections, every same-site link on a
page that matches a GET route of the web app is followed, and the first address found for each
route is measured. Routes that no owner page links to (the sign-up and recovery forms, the
provider's return address), the console, the developer mailbox, the police page, the API and
the app shell's files are not owner pages; they are listed in the JSON with why, so a new
owner page that nothing links to shows up there instead of silently going unmeasured.

"ours" is the whole platform (its middleware, the cookie sign-in, the page's queries, the
template) called in-process through ASGI. "bare" is a Starlette app with one handler that
renders the same template with the same context the platform's handler built for the same
address: its rows were fetched once, before timing, so "bare" is the template and a bare
response. "bare+SQL" is the same handler that first runs, through the bare driver (aiosqlite, on
one connection opened beforehand, in one transaction), the very statements with the very
parameters the platform's request ran for that page (recorded on the engine), fetching every
row; so it reads the same rows and renders the same page, and what separates it from the
platform is the platform's own work: middleware, sign-in, dependencies, the ORM and the
page's code. The aim's "bare handler" is this one (issue 14 says "renders the same template
from the same rows"); the template-only figure stays beside it. Server time is taken inside
the ASGI call, from the request's arrival to the last byte of the response, so the HTTP
client's own work is in neither figure. The three are called in turn, page by page, so a busy
moment on the machine falls on all of them.

Page weight: the HTML plus every stylesheet and script the page loads from this site (its
``<link rel="stylesheet">`` and ``<script src>``), as served (the platform does not compress);
images, the manifest and the icons are counted apart, and map tiles are not counted (the
demo's pages load none from elsewhere).

Beside the times, the number of SQL statements each page's request runs (counted on the
engine), where the time goes for most of them.

Aims (issue 14): p95 at most 50 ms, at least half the bare handler's rate, at most 300 KB per
page. The last line of output is one line of JSON with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiosqlite
import httpx
from fastapi.routing import iter_route_contexts
from sqlalchemy import event
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench._support, as the other benches

from bench._support import machine  # noqa: E402

from linkplus.app import create_app  # noqa: E402
from linkplus.bootstrap import build_runtime  # noqa: E402
from linkplus.config import Settings  # noqa: E402
from linkplus.demo import history, prepare_demo  # noqa: E402
from linkplus.migrate import upgrade  # noqa: E402
from linkplus.web import rendering  # noqa: E402

EMAIL = "demo@example.com"
PASSWORD = "linkplus-demo"  # noqa: S105 (the demo's published password)
SECRET_KEY = "pages-bench-secret-key-long-enough-for-hs256-signing"  # noqa: S105 (a bench)
SECTIONS = ("/vehicle", "/map", "/notifications", "/account", "/support")
QUICK_HISTORY_DAYS = 3
AIM_P95_MS = 50.0
AIM_RATE_SHARE = 0.5
AIM_WEIGHT_BYTES = 300 * 1024

# Routes of the web app that are not owner pages, with the reason.
NOT_OWNER_PAGES = (
    ("/console", "staff console"),
    ("/dev/", "developer mailbox"),
    ("/police/", "the police's page for a theft case"),
    ("/api/", "JSON API"),
    ("/sandbox-pay", "payment sandbox provider"),
    ("/static", "static files"),
    ("/manifest.webmanifest", "app shell file"),
    ("/sw.js", "app shell file"),
    ("/offline", "app shell file (the same for everyone)"),
)
# Owner routes that answer something other than a page.
NOT_PAGES = {
    "/vehicle/{vin}/remote/events": "server-sent event stream",
    "/invoices/{document_id}.pdf": "PDF download",
}
HREF = re.compile(r'href="(/[^"#]*)"')
STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/[^"]+)"')
SCRIPT = re.compile(r'<script src="(/[^"]+)"')
IMAGE = re.compile(r'<img [^>]*src="(/[^"]+)"')


# --- timing inside the ASGI call -------------------------------------------------------------


class ServerTime:
    """Wraps an ASGI app; ``last`` is the server time of the latest request, in seconds, and
    ``last_cpu`` the CPU time the process spent meanwhile (every thread: SQLite's driver works
    in one of its own). One request at a time and no worker, so that is the request's CPU: on
    a machine shared with other work it moves much less than the wall time does."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self.last = 0.0
        self.last_cpu = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, cpu = time.perf_counter(), time.process_time()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last = time.perf_counter() - started
                self.last_cpu = time.process_time() - cpu

        await self.app(scope, receive, timed_send)


# --- what the platform's handler rendered ----------------------------------------------------


@dataclass
class Rendered:
    template: str
    context: dict[str, Any]
    status: int
    who: rendering.Reader | None = None  # the page's reader (language, zone), as the app passed it


@dataclass
class Recorder:
    """Replaces ``html_page`` wherever the web app imported it, keeping what it was given."""

    last: Rendered | None = None
    original: Callable[..., Any] = field(default=rendering.html_page)

    def install(self) -> None:
        def recording(
            template: str,
            context: dict[str, Any],
            *,
            status: int = 200,
            who: rendering.Reader | None = None,
        ) -> Any:
            response = self.original(template, context, status=status, who=who)
            self.last = Rendered(template, dict(context), status, who)  # as rendered (completed)
            return response

        for name, module in list(sys.modules.items()):
            if name.startswith("linkplus.web") and getattr(module, "html_page", None) is (
                self.original
            ):
                module.html_page = recording  # type: ignore[attr-defined]


Statement = tuple[str, Any, bool]  # SQL, its parameters as the driver got them, executemany


def bare_app(
    rendered: dict[str, Rendered],
    *,
    statements: dict[str, list[Statement]] | None = None,
    connection: aiosqlite.Connection | None = None,
) -> Starlette:
    """One handler: the template and context recorded for the address, rendered, answered.
    With ``statements`` and ``connection``, it first runs the address's recorded statements
    on the bare connection, in one transaction, fetching every row."""

    async def page(request: Request) -> HTMLResponse:
        address = request.url.path + ("?" + request.url.query if request.url.query else "")
        found = rendered[address]
        if statements is not None and connection is not None:
            ran = statements[address]
            # The platform opens its transactions with a BEGIN of its own (recorded with the
            # rest); its commit is the driver's, not a statement, so it is done here.
            if not (ran and ran[0][0].lstrip().upper().startswith("BEGIN")):
                await connection.execute("BEGIN")
            try:
                for sql, parameters, many in ran:
                    if many:
                        await connection.executemany(sql, parameters)
                    else:
                        async with connection.execute(sql, parameters) as cursor:
                            await cursor.fetchall()
            finally:
                if connection.in_transaction:
                    await connection.commit()
        with rendering.reading(found.who if found.who is not None else rendering.reader()):
            body = rendering.templates.get_template(found.template).render(found.context)
        return HTMLResponse(body, status_code=found.status)

    return Starlette(routes=[Route("/{path:path}", page)])


# --- finding the pages -----------------------------------------------------------------------


def route_patterns(app: Any) -> list[tuple[str, re.Pattern[str]]]:
    """Every GET route outside the API, with a pattern for its path."""
    found = []
    for context in iter_route_contexts(app.routes):  # through the included routers
        methods = getattr(context.original_route, "methods", None) or set()
        path = str(context.path_format)
        if "GET" not in methods or path.startswith("/api/"):
            continue
        pieces = re.split(r"\{[^}]+\}", path)
        regex = "^" + "[^/]+".join(re.escape(piece) for piece in pieces) + "$"
        found.append((path, re.compile(regex)))
    # The most specific first: "/vehicle/add" before "/vehicle/{vin}".
    found.sort(key=lambda item: (item[0].count("{"), -len(item[0])))
    return found


def route_of(address: str, patterns: list[tuple[str, re.Pattern[str]]]) -> str | None:
    path = urlsplit(address).path
    for template, pattern in patterns:
        if pattern.match(path):
            return template
    return None


def excluded(template: str) -> str | None:
    for prefix, why in NOT_OWNER_PAGES:
        if template.startswith(prefix):
            return why
    return NOT_PAGES.get(template)


async def discover(
    client: httpx.AsyncClient, patterns: list[tuple[str, re.Pattern[str]]], limit: int = 300
) -> tuple[dict[str, str], dict[str, str]]:
    """The first address of each owner page reachable from the sections, and what was left
    out (route -> why)."""
    pages: dict[str, str] = {}
    skipped: dict[str, str] = {}
    queue = list(SECTIONS)
    seen: set[str] = set()
    while queue and len(seen) < limit:
        address = queue.pop(0)
        if address in seen:
            continue
        seen.add(address)
        template = route_of(address, patterns)
        if template is None or template in pages or excluded(template):
            continue
        answer = await client.get(address)
        kind = answer.headers.get("content-type", "")
        if answer.status_code != 200 or not kind.startswith("text/html"):
            skipped.setdefault(template, f"answered {answer.status_code} {kind} at {address}")
            continue
        skipped.pop(template, None)
        pages[template] = address
        queue.extend(HREF.findall(answer.text))
    for template, _pattern in patterns:
        if template not in pages:
            skipped.setdefault(template, excluded(template) or "no owner page links to it")
    return pages, skipped


# --- measuring -------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(seconds: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
        "rate_per_s": round(len(seconds) / sum(seconds), 1),
    }


async def weight(client: httpx.AsyncClient, html: str, cache: dict[str, int]) -> dict[str, int]:
    """Bytes of the page and of what it loads from this site, by kind."""

    async def size(address: str) -> int:
        if address not in cache:
            answer = await client.get(address)
            if answer.status_code != 200:
                raise SystemExit(f"the page loads {address}, which answers {answer.status_code}")
            cache[address] = len(answer.content)
        return cache[address]

    css = sum([await size(a) for a in dict.fromkeys(STYLESHEET.findall(html))])
    js = sum([await size(a) for a in dict.fromkeys(SCRIPT.findall(html))])
    images = sum([await size(a) for a in dict.fromkeys(IMAGE.findall(html))])
    html_bytes = len(html.encode())
    return {
        "html": html_bytes,
        "css": css,
        "js": js,
        "images": images,
        "page": html_bytes + css + js,
    }


async def measure(
    requests: int, warmup: int, history_days: int, profile: str | None = None
) -> dict[str, Any]:
    started = time.perf_counter()
    history.HISTORY_DAYS = history_days  # read by give_demo_history when it runs
    with tempfile.TemporaryDirectory(prefix="linkplus-pages-bench-") as data_dir:
        settings = Settings(
            data_dir=Path(data_dir),
            secret_key=SECRET_KEY,
            dev_mailbox=True,
            worker_enabled=False,
            gateway_enabled=False,
            public_url="http://testserver",
            log_json=True,
            log_level="WARNING",
            # The sign-in's password hash is the bench's set-up, not what it measures.
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            argon2_parallelism=1,
        )
        await asyncio.to_thread(upgrade, settings.resolved_database_url)
        await prepare_demo(settings, email=EMAIL, password=PASSWORD, simulate=False)
        prepared = time.perf_counter() - started
        print(f"demo data in place in {prepared:.1f} s", flush=True)

        runtime = build_runtime(settings)
        app = create_app(runtime, run_worker=False)
        recorder = Recorder()
        recorder.install()
        ours = ServerTime(app)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=ours), base_url="http://testserver"
            ) as client:
                signin = await client.get("/signin")
                token = re.search(r'name="csrf_token" value="([^"]+)"', signin.text)
                assert token, "the sign-in page has a form token"
                answer = await client.post(
                    "/signin",
                    data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)},
                )
                if answer.status_code != 303:
                    raise SystemExit(f"the demo owner cannot sign in: {answer.status_code}")
                pages, skipped = await discover(client, route_patterns(app))
                print(f"{len(pages)} owner pages found", flush=True)

                rendered: dict[str, Rendered] = {}
                weights: dict[str, dict[str, int]] = {}
                statements: dict[str, int] = {}
                replay: dict[str, list[Statement]] = {}
                loaded: dict[str, int] = {}
                ran: list[Statement] = []

                def count(
                    _conn: Any, _cursor: Any, sql: str, parameters: Any, _ctx: Any, many: bool
                ) -> None:
                    ran.append((sql, parameters, many))

                engine = runtime.db.engine.sync_engine
                for template, address in pages.items():
                    recorder.last = None
                    ran.clear()
                    event.listen(engine, "before_cursor_execute", count)
                    try:
                        answer = await client.get(address)
                    finally:
                        event.remove(engine, "before_cursor_execute", count)
                    statements[template] = len(ran)
                    replay[address] = list(ran)
                    if recorder.last is None:
                        raise SystemExit(f"{template} did not render a template")
                    rendered[address] = recorder.last
                    weights[template] = await weight(client, answer.text, loaded)

                database = runtime.db.engine.url.database
                assert database, "the bench runs on the demo's SQLite file"
                bare = ServerTime(bare_app(rendered))
                connection = await aiosqlite.connect(database, isolation_level=None)
                bare_sql = ServerTime(bare_app(rendered, statements=replay, connection=connection))
                try:
                    async with (
                        httpx.AsyncClient(
                            transport=httpx.ASGITransport(app=bare), base_url="http://testserver"
                        ) as bare_client,
                        httpx.AsyncClient(
                            transport=httpx.ASGITransport(app=bare_sql),
                            base_url="http://testserver",
                        ) as bare_sql_client,
                    ):
                        await _same_pages(pages, client, bare_client)
                        await _same_pages(pages, client, bare_sql_client)
                        sides = (
                            ("ours", client, ours),
                            ("bare_sql", bare_sql_client, bare_sql),
                            ("bare", bare_client, bare),
                        )
                        if profile is not None:
                            await _profile(pages, client, profile, requests)
                        results = await _time_pages(pages, sides, requests, warmup)
                finally:
                    await connection.close()
        finally:
            await runtime.db.dispose()

    for template, figures in results.items():
        figures["sql_statements"] = statements[template]
        figures["weight"] = weights[template]
    return {
        "pages": results,
        "not_measured": dict(sorted(skipped.items())),
        "setup_seconds": round(prepared, 1),
    }


async def _same_pages(
    pages: dict[str, str], client: httpx.AsyncClient, bare_client: httpx.AsyncClient
) -> None:
    """The bare handler sends the page the platform sends: the same length (only the form
    tokens' random values differ), so the comparison is of like with like."""
    for address in pages.values():
        ours, bare = await client.get(address), await bare_client.get(address)
        if len(ours.content) != len(bare.content):
            raise SystemExit(
                f"{address}: the bare handler's page ({len(bare.content)} bytes) is not the "
                f"platform's ({len(ours.content)} bytes)"
            )


async def _time_pages(
    pages: dict[str, str],
    sides: tuple[tuple[str, httpx.AsyncClient, ServerTime], ...],
    requests: int,
    warmup: int,
) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for template, address in pages.items():
        times: dict[str, list[float]] = {name: [] for name, _, _ in sides}
        cpu: dict[str, list[float]] = {name: [] for name, _, _ in sides}
        for turn in range(warmup + requests):
            for name, http, timer in sides:
                answer = await http.get(address)
                if answer.status_code != 200:
                    raise SystemExit(f"{name} {address}: {answer.status_code}")
                if turn >= warmup:
                    times[name].append(timer.last)
                    cpu[name].append(timer.last_cpu)
        figures: dict[str, Any] = {"address": address}
        for name, _, _ in sides:
            figures[name] = {
                **summary(times[name]),
                "cpu_p50_ms": round(percentile(cpu[name], 0.5) * 1000, 2),
            }
        # The aim's share: against the bare handler that reads the same rows.
        figures["rate_share"] = round(
            figures["ours"]["rate_per_s"] / figures["bare_sql"]["rate_per_s"], 2
        )
        figures["template_rate_share"] = round(
            figures["ours"]["rate_per_s"] / figures["bare"]["rate_per_s"], 2
        )
        results[template] = figures
    return results


async def _profile(
    pages: dict[str, str], client: httpx.AsyncClient, template: str, requests: int
) -> None:
    """``--profile PAGE``: the platform's side of one page under cProfile, the functions that
    take the most time (with what they call) printed before the timings."""
    address = pages.get(template)
    if address is None:
        raise SystemExit(f"--profile: no page {template!r}; pages: {', '.join(pages)}")
    for _ in range(5):
        await client.get(address)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        await client.get(address)
    profiler.disable()
    print(f"\nprofile of {requests} requests of {template} ({address}):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def process_age() -> float:
    """Seconds since this process started (its imports included), from ``/proc``."""
    started_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started_ticks / os.sysconf("SC_CLK_TCK")


def verdicts(pages: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """The pages that miss each aim."""
    return {
        "p95_over_50_ms": [t for t, f in pages.items() if f["ours"]["p95_ms"] > AIM_P95_MS],
        "under_half_the_bare_rate": [
            t for t, f in pages.items() if f["rate_share"] < AIM_RATE_SHARE
        ],
        "over_300_kb": [t for t, f in pages.items() if f["weight"]["page"] > AIM_WEIGHT_BYTES],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests: under a minute")
    parser.add_argument("--requests", type=int, default=None, help="timed requests per page")
    parser.add_argument(
        "--history-days",
        type=int,
        default=None,
        help=f"days of past trips (demo: {history.HISTORY_DAYS}, quick: {QUICK_HISTORY_DAYS})",
    )
    parser.add_argument(
        "--profile",
        metavar="PAGE",
        default=None,
        help="also profile one page (its template name, e.g. /support) and print where it goes",
    )
    args = parser.parse_args(argv)
    requests = args.requests or (12 if args.quick else 300)
    warmup = 2 if args.quick else 20
    days = args.history_days or (QUICK_HISTORY_DAYS if args.quick else history.HISTORY_DAYS)
    figures = asyncio.run(measure(requests, warmup, days, args.profile))
    pages = figures["pages"]

    print()
    print(
        f"{'page':<46} {'ours p50/p95 ms':>16} {'bare+SQL p50/p95':>17} {'bare p50':>8}"
        f" {'rate ours/bare+SQL':>20} {'CPU ms':>6} {'SQL':>4} {'KB':>6}"
    )
    for template, f in pages.items():
        ours, bare_sql, bare = f["ours"], f["bare_sql"], f["bare"]
        print(
            f"{template:<46} {ours['p50_ms']:>7.1f}/{ours['p95_ms']:<8.1f}"
            f" {bare_sql['p50_ms']:>7.1f}/{bare_sql['p95_ms']:<9.1f} {bare['p50_ms']:>8.1f}"
            f" {ours['rate_per_s']:>6.0f}/{bare_sql['rate_per_s']:<6.0f}{f['rate_share']:>6.2f}"
            f" {ours['cpu_p50_ms']:>6.1f} {f['sql_statements']:>4}"
            f" {f['weight']['page'] / 1024:>6.1f}"
        )
    missed = verdicts(pages)
    print()
    for aim, misses in missed.items():
        print(f"{aim}: {', '.join(misses) if misses else 'none'}")
    print(f"not measured: {len(figures['not_measured'])} routes (see the JSON for why)")
    seconds = round(process_age(), 1)
    print(f"took {seconds} s")
    result = {
        "bench": "pages",
        "mode": "quick" if args.quick else "full",
        "requests_per_page": requests,
        "database": "sqlite",
        "history_days": days,
        "seconds": seconds,
        **figures,
        "aims": {
            "p95_ms": AIM_P95_MS,
            "rate_share": AIM_RATE_SHARE,
            "weight_bytes": AIM_WEIGHT_BYTES,
            "missed": missed,
        },
        "machine": machine(),
    }
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main()
