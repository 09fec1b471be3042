"""What the Connected Services Centre and "prepare to sell" accept and return."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from linkplus.connected_services.availability import Reason, ServiceState
from linkplus.connected_services.catalogue import PackageKind
from linkplus.connected_services.selling import SellStep
from linkplus.models.privacy import ConsentChannel


class PackageCode(StrEnum):
    standard = "standard"
    safety = "safety"
    svt = "svt"
    remote = "remote"
    smart = "smart"
    map_care = "map_care"
    service_pack = "service_pack"


class ServiceStateOut(BaseModel):
    service: str
    name: str
    package: str
    package_name: str
    package_kind: PackageKind
    state: ServiceState
    reason: Reason | None  # why it is not available
    message: str | None  # what the state means for the owner
    started_at: datetime | None
    ends_at: datetime | None
    complimentary_until: date | None
    switchable: bool  # the owner can activate or deactivate it here


class CurrentVersions(BaseModel):
    terms_of_use: str
    privacy_notice: str


class ServicesCentreOut(BaseModel):
    vin: str
    terms_accepted: bool  # the current Terms of Use and Privacy Notice are accepted
    current_versions: CurrentVersions  # what to send in ``accept`` when they are not
    services: list[ServiceStateOut]


class Acceptance(BaseModel):
    """The versions the owner read and accepted in the activation flow."""

    model_config = ConfigDict(extra="forbid")

    terms_of_use: str | None = Field(default=None, min_length=1, max_length=32)
    privacy_notice: str | None = Field(default=None, min_length=1, max_length=32)


class ActivationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    packages: list[PackageCode] = Field(
        default_factory=lambda: [PackageCode.standard], min_length=1, max_length=7
    )
    accept: Acceptance | None = None
    channel: ConsentChannel = ConsentChannel.app


class DeactivationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    packages: list[PackageCode] = Field(
        default_factory=lambda: [PackageCode.standard, PackageCode.svt],
        min_length=1,
        max_length=7,
    )


class WelcomeCarOut(BaseModel):
    """A primary car whose standard services can be activated but are not."""

    vin: str
    model_name: str
    complimentary_until: date | None


class SellStepOut(BaseModel):
    step: SellStep
    title: str
    done: bool
    done_at: datetime | None
    detail: str
    owner_ticks: bool


class SellChecklistOut(BaseModel):
    vin: str
    steps: list[SellStepOut]
    ready_to_remove: bool  # every step but the removal itself is done
