"""The safety services' use cases. Callers import the package
(``from linkplus.safety import service as safety``); the modules split it by actor: the car's
emergencies and the emergency agent (``emergency``), stolen-vehicle tracking (``theft``), the
owner's view and the staff switch (``status``), and the agents' console (``console``)."""

from linkplus.safety.service._common import case_subject
from linkplus.safety.service.console import case_detail, case_events, queue, stream_start
from linkplus.safety.service.emergency import (
    close,
    dispatch,
    mark_accidental,
    on_emergency,
    on_voice,
    take,
)
from linkplus.safety.service.status import (
    on_system_reported,
    safety_events,
    safety_status,
    switch_features,
)
from linkplus.safety.service.theft import (
    confirm_reactivation,
    create_police_link,
    export_csv,
    on_held_position,
    on_tracking_reported,
    police_view,
    positions,
    record_checks,
    report_by_owner,
    report_by_phone,
    start_reactivation,
    start_tracking,
    stop_tracking,
    theft_of,
)

__all__ = [
    "case_detail",
    "case_events",
    "case_subject",
    "close",
    "confirm_reactivation",
    "create_police_link",
    "dispatch",
    "export_csv",
    "mark_accidental",
    "on_emergency",
    "on_held_position",
    "on_system_reported",
    "on_tracking_reported",
    "on_voice",
    "police_view",
    "positions",
    "queue",
    "record_checks",
    "report_by_owner",
    "report_by_phone",
    "safety_events",
    "safety_status",
    "start_reactivation",
    "start_tracking",
    "stop_tracking",
    "stream_start",
    "switch_features",
    "take",
    "theft_of",
]
