"""Tests run side by side (pytest-xdist workers, two checkouts, a demo on the same machine), so no
test may listen on a fixed port: the platform's defaults (HTTP 8000, MQTT 1883) are replaced by
free ports for every test and every process a test starts, and no test names a port of its own
except through ``free_port()``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from linkplus.config import Settings

TESTS = Path(__file__).resolve().parents[1]
# A port written into a test: ``port=1883``, ``mqtt_port = 8000``, ``127.0.0.1:8000``,
# ``localhost:5432``, ``("127.0.0.1", 1883)``. Lines that only parse or print an address that
# nothing listens on say so with ``never bound``.
FIXED_PORT = re.compile(
    r"\b(?:mqtt_)?port\s*=\s*\d{2,5}\b"
    r"|(?:127\.0\.0\.1|localhost|0\.0\.0\.0):\d{2,5}\b"
    r"|[\"'](?:127\.0\.0\.1|localhost)[\"'],\s*\d{2,5}\b"
)


def test_settings_built_in_a_test_default_to_free_ports_not_8000_and_1883() -> None:
    settings = Settings()
    assert settings.port != 8000
    assert settings.mqtt_port != 1883
    assert settings.port != settings.mqtt_port


def test_a_linkplus_process_a_test_starts_inherits_the_free_ports() -> None:
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from linkplus.config import Settings; s = Settings(); print(s.port, s.mqtt_port)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    port, mqtt_port = (int(p) for p in printed.stdout.split())
    assert port != 8000
    assert mqtt_port != 1883


def test_no_test_writes_a_fixed_port() -> None:
    found = [
        f"{path.relative_to(TESTS.parent)}:{number}: {line.strip()}"
        for path in sorted(TESTS.rglob("*.py"))
        if path != Path(__file__).resolve()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if FIXED_PORT.search(line) and "never bound" not in line
    ]
    assert not found, "take a port from tests.servers.free_port() instead:\n" + "\n".join(found)
