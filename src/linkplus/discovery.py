"""How the other ``linkplus`` commands find the platform that ``serve`` or ``demo`` runs.

A running ``serve``/``demo`` writes where it actually listens (its public URL and, when it
started the embedded broker, the broker's port) to ``running.json`` in the data dir, and removes
the file when it stops. The commands that talk to a running platform (``billing run``,
``worker``, ``gateway``, ``simulate``) read it through ``locate``.

Why a file and not only the settings: ``--port`` and ``--mqtt-port`` are command-line options
of the one process that serves, so no other process can derive them from settings; the data dir
is what every command of one installation already shares. Settings still win: a value set
explicitly (environment, ``.env``, an option) is never replaced by the file, and a file left by
a process that no longer runs is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from linkplus.config import Settings

RUNNING_FILE = "running.json"


@dataclass(frozen=True)
class RunningPlatform:
    pid: int
    public_url: str
    mqtt_port: int | None  # None: no embedded broker (an external one, or none)


def running_path(settings: Settings) -> Path:
    return settings.data_dir / RUNNING_FILE


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def read_running(settings: Settings) -> RunningPlatform | None:
    """The platform recorded in the data dir, if its process still runs."""
    try:
        data = json.loads(running_path(settings).read_text(encoding="utf-8"))
        found = RunningPlatform(
            pid=int(data["pid"]),
            public_url=str(data["public_url"]),
            mqtt_port=None if data.get("mqtt_port") is None else int(data["mqtt_port"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if _alive(found.pid) else None


@contextlib.contextmanager
def announce(settings: Settings, *, embedded_broker: bool) -> Iterator[Path]:
    """Record this process as the running platform of ``settings.data_dir`` while it serves."""
    path = running_path(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "pid": os.getpid(),
        "public_url": settings.public_url,
        "mqtt_port": settings.mqtt_port if embedded_broker else None,
    }
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(record), encoding="utf-8")
    partial.replace(path)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            current = json.loads(path.read_text(encoding="utf-8"))
            if current.get("pid") == os.getpid():  # a later process may have taken over
                path.unlink()


def locate(settings: Settings) -> tuple[Settings, RunningPlatform | None]:
    """``settings`` with the running platform's addresses filled in where none was set."""
    found = read_running(settings)
    if found is None:
        return settings, None
    explicit = settings.model_fields_set
    update: dict[str, object] = {}
    if not explicit & {"public_url", "host", "port"}:
        update["public_url"] = found.public_url
    if found.mqtt_port is not None and not explicit & {"mqtt_url", "mqtt_port"}:
        update["mqtt_port"] = found.mqtt_port
    return (settings.model_copy(update=update) if update else settings), found


def not_found_hint(settings: Settings, what: str, setting: str) -> str:
    """One line that says where ``what`` was looked for and which setting to set."""
    return (
        f"No running linkplus is recorded in {running_path(settings)}, so {what}; start "
        "'linkplus serve' or 'linkplus demo' with the same --data-dir, or set "
        f"{setting}."
    )
