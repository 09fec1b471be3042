"""What every linkplus process builds before it serves, works or runs a command: its runtime,
and the one list of the domains' tasks, schedules and event reactions.

Nothing registers itself when it is imported. Each domain lists its tasks in its own
``tasks.py`` (``TASKS``, ``SCHEDULES``, ``SUBSCRIPTIONS``, ``REACTIONS``), and ``DOMAIN_TASKS``
below names every such module, so the worker runs exactly what is listed here. A new domain
with tasks is added to ``DOMAIN_TASKS``; tests/jobs/test_tasks.py fails until it is.
"""

from __future__ import annotations

from types import ModuleType

from linkplus import events, jobs
from linkplus.charging import tasks as charging_tasks
from linkplus.config import Settings
from linkplus.connected_services import tasks as services_tasks
from linkplus.db import Database, create_engine
from linkplus.invoices import tasks as invoices_tasks
from linkplus.keys import tasks as keys_tasks
from linkplus.kit.clock import Clock, SystemClock
from linkplus.maintenance import tasks as maintenance_tasks
from linkplus.notifications import tasks as notifications_tasks
from linkplus.notifications.delivery import build_mail_transport, build_push_channel
from linkplus.remote import tasks as remote_tasks
from linkplus.rights import tasks as rights_tasks
from linkplus.runtime import Runtime
from linkplus.safety import tasks as safety_tasks
from linkplus.subscriptions import tasks as subscriptions_tasks
from linkplus.trips import tasks as trips_tasks
from linkplus.vehicle_link import tasks as vehicle_link_tasks

DOMAIN_TASKS: list[ModuleType] = [
    notifications_tasks,
    services_tasks,
    vehicle_link_tasks,
    remote_tasks,
    trips_tasks,
    invoices_tasks,
    safety_tasks,
    subscriptions_tasks,
    charging_tasks,
    rights_tasks,
    keys_tasks,
    maintenance_tasks,
]


def register_tasks() -> None:
    """Make every domain's tasks, schedules and event reactions known (idempotent)."""
    for module in DOMAIN_TASKS:
        jobs.register(getattr(module, "TASKS", []), getattr(module, "SCHEDULES", []))
        events.register(getattr(module, "SUBSCRIPTIONS", []), getattr(module, "REACTIONS", []))


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """The runtime of one process: database, clock, mail and push adapters (the broker
    connection and the payment provider are added where they are used)."""
    register_tasks()
    db = Database(
        create_engine(settings.resolved_database_url, busy_seconds=settings.sqlite_busy_seconds)
    )
    return Runtime(
        settings=settings,
        db=db,
        clock=clock or SystemClock(),
        mail=build_mail_transport(settings),
        push=build_push_channel(settings),
    )
