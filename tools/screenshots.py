"""Screenshots of the owner app for the docs: every section, the car page and its main sub-pages,
on a phone (390×844) and on a desktop (1280×900), written to docs/screenshots/app-<page>-phone.png
and app-<page>-desktop.png.

The script runs ``linkplus demo`` itself (the embedded database, broker, mailbox and simulated
fleet, in a temporary data dir, on free ports), waits until the demo's plug-in hybrid has
reported its status, signs in as the demo owner in headless Chromium and takes each page.

    .venv/bin/python tools/screenshots.py              # all pages, both sizes
    .venv/bin/python tools/screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.async_api import Page, async_playwright

from linkplus.demo import DEMO_CARS

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
EMAIL = "demo@example.com"
PASSWORD = "linkplus-demo"  # noqa: S105 - the demo's own default, printed by `linkplus demo`
VIN = DEMO_CARS[1].vin  # the demo's plug-in hybrid
START_BOUND = 120.0  # seconds for the demo to migrate, prepare its cars and answer
REPORT_BOUND = 90.0  # seconds for the simulated car's first status report

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}

# (file name part, path): the five sections, then the car and what hangs off it.
PAGES = (
    ("signin", "/signin"),
    ("vehicle", "/vehicle"),
    ("car", f"/vehicle/{VIN}"),
    ("status", f"/vehicle/{VIN}/status"),
    ("trips", f"/vehicle/{VIN}/trips"),
    ("services", f"/vehicle/{VIN}/services"),
    ("map", "/map"),
    ("notifications", "/notifications"),
    ("account", "/account"),
    ("support", "/support"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, demo: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_BOUND
    while time.monotonic() < deadline:
        if demo.poll() is not None:
            raise SystemExit(f"linkplus demo stopped while starting (exit {demo.returncode})")
        try:
            with urllib.request.urlopen(url + "/signin", timeout=5):  # noqa: S310 - our own loopback
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise SystemExit(f"linkplus demo did not answer at {url} within {START_BOUND:.0f} s")


async def sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/signin")
    await page.get_by_label("E-mail address").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Sign in").click()


async def wait_for_a_report(page: Page, base: str) -> None:
    """Until the car's status page shows what the simulated car reported."""
    deadline = time.monotonic() + REPORT_BOUND
    while time.monotonic() < deadline:
        await page.goto(f"{base}/vehicle/{VIN}/status")
        if "Not heard from yet" not in await page.content():
            return
        await asyncio.sleep(2)
    print("the car had not reported within the bound; taking the pictures anyway")


async def take(base: str, out: Path) -> list[Path]:
    written = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            for size, viewport in SIZES.items():
                context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
                page = await context.new_page()
                for name, path in PAGES:
                    if name == "signin":
                        await page.goto(base + path)
                    else:
                        if page.url.endswith("/signin") or page.url == "about:blank":
                            await sign_in(page, base)
                            await wait_for_a_report(page, base)
                        await page.goto(base + path)
                    await page.wait_for_load_state("networkidle")
                    target = out / f"app-{name}-{size}.png"
                    await page.screenshot(path=str(target))  # what the screen shows
                    written.append(target)
                await context.close()
        finally:
            await browser.close()
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    port, mqtt_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKPLUS_")}
    with tempfile.TemporaryDirectory(prefix="linkplus-shots-") as data_dir:
        command = [
            str(Path(sys.executable).with_name("linkplus")),
            "demo",
            f"--port={port}",
            f"--mqtt-port={mqtt_port}",
            f"--data-dir={data_dir}",
        ]
        with open(Path(data_dir) / "demo.log", "wb") as log:
            demo = subprocess.Popen(  # noqa: S603 - our own command
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            try:
                base = f"http://127.0.0.1:{port}"
                wait_until_up(base, demo)
                written = asyncio.run(take(base, args.out))
            finally:
                os.killpg(demo.pid, signal.SIGINT)
                try:
                    demo.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(demo.pid, signal.SIGKILL)
                    demo.wait()
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
