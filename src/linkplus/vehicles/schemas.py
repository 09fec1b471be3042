"""Response bodies of the vehicles API."""

from __future__ import annotations

from pydantic import BaseModel

from linkplus.vehicles.catalogue import Capability, Multimedia, Powertrain


class CapabilityOut(BaseModel):
    code: Capability
    label: str


class RemoteClimateOut(BaseModel):
    minutes: int
    renewals: int
    min_battery_pct: int | None


class ConnectivityMatchOut(BaseModel):
    """What a VIN's model can do in the market it was built for. No personal data."""

    vin: str
    brand: str
    model_code: str
    model_name: str
    powertrain: Powertrain
    powertrain_label: str
    multimedia: Multimedia
    multimedia_label: str
    market: str
    telematics_unit: bool
    capabilities: list[CapabilityOut]
    remote_climate: RemoteClimateOut | None
