"""The credential each car's telematics unit signs in to the MQTT broker with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base


class TelematicsCredential(Base):
    """Only hashes are kept: the secret is shown once, when the unit is provisioned.

    ``secret_hash`` (a salted SHA-256; scrypt when stored by an earlier version) is what the
    embedded broker checks; ``broker_hash`` is the same secret in Mosquitto's own password-file
    format, so the file can be rebuilt from the database at any time without ever storing the
    secret.
    """

    __tablename__ = "telematics_credentials"

    vin: Mapped[str] = mapped_column(
        String(17), ForeignKey("vehicles.vin", ondelete="CASCADE"), primary_key=True
    )
    secret_hash: Mapped[str] = mapped_column(String(200))
    broker_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
