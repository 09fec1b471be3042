"""Every signal the platform reads to refuse a command is one the protocol defines: a misspelt
path would silently never match and the platform would let a refused command through."""

from __future__ import annotations

from linkplus.protocol import signals
from linkplus.remote import service


def test_every_signal_remote_control_reads_exists_in_the_protocol() -> None:
    read = [
        *service.DOOR_SIGNALS,
        service.SMART_KEY_SIGNAL,
        service.ALARM_SIGNAL,
        service.PHYSICAL_KEY_SIGNAL,
        service.BATTERY_SIGNAL,
        service.OUTSIDE_SIGNAL,
        service.POWER_STATE_SIGNAL,
    ]
    unknown = [path for path in read if signals.lookup(path) is None]
    assert unknown == []
    assert len(service.DOOR_SIGNALS) == 6  # four doors, the boot and the bonnet
