"""Every ORM table, one module per aggregate. Importing this package registers them all."""

from linkplus.models import (
    accounts,
    audit,
    dealers,
    garage,
    invoices,
    jobs,
    notifications,
    payments,
    privacy,
    remote,
    safety,
    services,
    subscriptions,
    telematics,
    trips,
    twin,
    vehicles,
)
from linkplus.models.base import Base

__all__ = [
    "Base",
    "accounts",
    "audit",
    "dealers",
    "garage",
    "invoices",
    "jobs",
    "notifications",
    "payments",
    "privacy",
    "remote",
    "safety",
    "services",
    "subscriptions",
    "telematics",
    "trips",
    "twin",
    "vehicles",
]
