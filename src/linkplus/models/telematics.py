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


class GatewayLease(Base):
    """Which gateway process serves which broker session (docs/scaling.md, "Failover").

    ``name`` is a gateway's instance name, and so its MQTT session (client id
    ``linkplus-gateway-<name>``). The process of that name holds the lease while it runs, renewing
    ``expires_at`` every few seconds; ``token`` is different on every run of a process, so a
    renewal by a process that lost the lease changes nothing. A lease left to expire (the process
    died) is adopted by another gateway: ``holder`` is then that process's name, which empties
    the dead process's session and ends it, then deletes the row.
    """

    __tablename__ = "gateway_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime]
