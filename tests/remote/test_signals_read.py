"""Every signal the platform reads to refuse a command is one the protocol defines: a misspelt
path would silently never match and the platform would let a refused command through."""

from __future__ import annotations

from linkplus.protocol import signals
from linkplus.vehicle_link import car_state


def test_every_signal_remote_control_reads_exists_in_the_protocol() -> None:
    read = [
        *car_state.DOOR_SIGNALS,
        car_state.SMART_KEY_SIGNAL,
        car_state.ALARM_SIGNAL,
        car_state.PHYSICAL_KEY_SIGNAL,
        car_state.BATTERY_SIGNAL,
        car_state.OUTSIDE_SIGNAL,
        car_state.POWER_STATE_SIGNAL,
    ]
    unknown = [path for path in read if signals.lookup(path) is None]
    assert unknown == []
    assert len(car_state.DOOR_SIGNALS) == 6  # four doors, the boot and the bonnet
