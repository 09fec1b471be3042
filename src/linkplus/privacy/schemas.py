"""What the Data Privacy Portal and the privacy-mode routes accept and return."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from linkplus.models.privacy import ConsentChannel, DocumentKind, PrivacyModeSource


class DocumentStateOut(BaseModel):
    """A current document for the account and where the account stands with it."""

    document: DocumentKind
    title: str
    version: str
    country: str
    language: str
    effective_from: date
    accepted: bool  # the current version is accepted and not withdrawn
    accepted_version: str | None  # the latest version accepted and not withdrawn, if any
    accepted_at: datetime | None
    newer_version_to_accept: bool  # an older version was accepted; this one needs accepting


class DocumentOut(BaseModel):
    document: DocumentKind
    title: str
    version: str
    country: str
    language: str
    effective_from: date
    text: str


class ConsentOut(BaseModel):
    id: uuid.UUID
    document: DocumentKind
    version: str
    country: str
    language: str
    accepted_at: datetime
    channel: ConsentChannel
    withdrawn_at: datetime | None


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: DocumentKind
    version: str = Field(min_length=1, max_length=32)
    channel: ConsentChannel = ConsentChannel.portal


class PrivacyModeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location_sharing: bool


class PrivacyModeOut(BaseModel):
    vin: str
    location_sharing: bool
    privacy_mode: bool  # the owner's word for "location is not shared"
    changed_at: datetime | None  # None: never changed, sharing is on by default
    source: PrivacyModeSource | None


class PrivacyModeChangeOut(BaseModel):
    location_sharing: bool
    changed_at: datetime
    source: PrivacyModeSource
