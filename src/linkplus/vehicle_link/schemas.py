"""What the vehicle status, refresh and find-my-car endpoints answer.

Every part of the status carries ``reported_at``: the vehicle's time of the newest reading in it
(null until the car has reported any). A part the car's model does not have is null.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel

from linkplus.jobs import JobPayload


class ConnectionState(StrEnum):
    online = "online"
    asleep = "asleep"
    offline = "offline"  # not heard from for a while
    unknown = "unknown"  # never heard from


class ConnectionOut(BaseModel):
    state: ConnectionState
    last_heard_at: datetime | None
    asleep_since: datetime | None
    message: str


class DoorOut(BaseModel):
    position: str  # front_left, front_right, rear_left, rear_right
    open: bool | None
    locked: bool | None


class DoorsOut(BaseModel):
    all_closed: bool | None
    all_locked: bool | None
    doors: list[DoorOut]
    reported_at: datetime | None


class WindowOut(BaseModel):
    position: str
    open_percent: int | None


class WindowsOut(BaseModel):
    all_closed: bool | None
    windows: list[WindowOut]
    reported_at: datetime | None


class BootOut(BaseModel):
    open: bool | None
    locked: bool | None
    reported_at: datetime | None


class HoodOut(BaseModel):
    open: bool | None
    reported_at: datetime | None


class SunroofOut(BaseModel):
    open: bool | None
    position_percent: int | None  # 0 closed, 100 open, negative: tilted
    reported_at: datetime | None


class LightsOut(BaseModel):
    headlights_on: bool | None
    high_beam_on: bool | None
    parking_lights_on: bool | None
    reported_at: datetime | None


class HazardLightsOut(BaseModel):
    on: bool | None
    reported_at: datetime | None


class FuelOut(BaseModel):
    level_percent: float | None
    range_km: float | None
    reported_at: datetime | None


class BatteryOut(BaseModel):
    charge_percent: float | None
    electric_range_km: float | None
    reported_at: datetime | None


class ChargingOut(BaseModel):
    charging: bool | None
    cable_connected: bool | None
    charge_limit_percent: int | None
    minutes_to_complete: int | None
    power_kw: float | None
    reported_at: datetime | None


class OdometerOut(BaseModel):
    km: float | None
    reported_at: datetime | None


class TyreOut(BaseModel):
    position: str
    pressure_kpa: int | None


class TyresOut(BaseModel):
    tyres: list[TyreOut]
    reported_at: datetime | None


class LowVoltageBatteryOut(BaseModel):
    voltage: float | None
    reported_at: datetime | None


class WarningLightsOut(BaseModel):
    active: list[str] | None
    reported_at: datetime | None


class VehicleStatusOut(BaseModel):
    vin: str
    connection: ConnectionOut
    doors: DoorsOut | None
    windows: WindowsOut | None
    boot: BootOut | None
    hood: HoodOut | None
    sunroof: SunroofOut | None
    lights: LightsOut | None
    hazard_lights: HazardLightsOut | None
    fuel: FuelOut | None
    battery: BatteryOut | None
    charging: ChargingOut | None
    odometer: OdometerOut
    tyres: TyresOut | None
    low_voltage_battery: LowVoltageBatteryOut
    warning_lights: WarningLightsOut


class RefreshOut(BaseModel):
    command_id: uuid.UUID
    status: str  # "queued": the car answers with fresh telemetry, visible in the status
    expires_at: datetime
    message: str


class LocationOut(BaseModel):
    vin: str
    latitude: float
    longitude: float
    heading: float | None
    parked_at: datetime


# --- job payloads (the tasks are in ``tasks.py``) --------------------------------------------


class SendCommandJob(JobPayload):
    """A platform command to one car (``refresh``), sent by the job until it expires."""

    task: ClassVar[str] = "vehicle_link.send_command"
    max_attempts: ClassVar[int] = 6
    vin: str
    command_id: uuid.UUID
    type: str
    expires_at: datetime


class PostTripCheckJob(JobPayload):
    """The check for doors, windows and lights a few minutes after the ignition went off."""

    task: ClassVar[str] = "vehicle_link.post_trip_check"
    vin: str
    trip_ended_at: datetime
