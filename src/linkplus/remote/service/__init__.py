"""Remote control use cases: accepting a command, sending it signed, following the car's answers
and the expiry, the live stream of state changes, and what runs on the car now.

Callers import the package (``from linkplus.remote import service``); the modules inside split
it by use case and share their helpers through ``_common``:

* ``accept``: the idempotency key, the rate limits, the checks (``preconditions``) and storing
  the command with its send and expiry jobs.
* ``send``: signing and publishing a command, from the accepting process (``send_now``) or from
  the send job (``send``).
* ``answers``: the car's answers and the expiry, what a completed command leaves running on the
  car, the audit entry and the message to the car's primary account.
* ``reading``: one command, the recent ones, and the car's remote state with what it can run.
* ``stream``: the server-sent events of one car's command changes.
* ``retention``: the purge of command history older than its retention.
"""

from linkplus.remote.service._common import (
    TITLES,
    Target,
    car_facts,
    command_out,
    expire_key,
    running_state,
    send_key,
    set_stolen_vehicle_tracking,
    stolen_vehicle_tracking_active,
    target_of,
)
from linkplus.remote.service.accept import (
    MAX_IDEMPOTENCY_KEY,
    SEND_FALLBACK,
    accept,
    command_params,
    fingerprint,
    submit,
)
from linkplus.remote.service.answers import (
    DONE,
    NOTIFY_KIND,
    CarAnswer,
    apply_answer,
    apply_answers,
    expire,
)
from linkplus.remote.service.reading import (
    Availability,
    advanced_climate_refusal,
    command_availability,
    get_command,
    list_commands,
    offered,
    remote_state,
)
from linkplus.remote.service.retention import purge_history
from linkplus.remote.service.send import (
    PUBLISH_TIMEOUT_SECONDS,
    NoBroker,
    send,
    send_now,
    send_system_command,
)
from linkplus.remote.service.stream import (
    STREAM_BATCH,
    STREAM_LOOKBACK,
    command_events,
    current_states,
    running_now,
    sse,
    stream_start,
)

__all__ = [
    "DONE",
    "MAX_IDEMPOTENCY_KEY",
    "NOTIFY_KIND",
    "PUBLISH_TIMEOUT_SECONDS",
    "SEND_FALLBACK",
    "STREAM_BATCH",
    "STREAM_LOOKBACK",
    "TITLES",
    "Availability",
    "CarAnswer",
    "NoBroker",
    "Target",
    "accept",
    "advanced_climate_refusal",
    "apply_answer",
    "apply_answers",
    "car_facts",
    "command_availability",
    "command_events",
    "command_out",
    "command_params",
    "current_states",
    "expire",
    "expire_key",
    "fingerprint",
    "get_command",
    "list_commands",
    "offered",
    "purge_history",
    "remote_state",
    "running_now",
    "running_state",
    "send",
    "send_key",
    "send_now",
    "send_system_command",
    "set_stolen_vehicle_tracking",
    "sse",
    "stolen_vehicle_tracking_active",
    "stream_start",
    "submit",
    "target_of",
]
