"""Names of the vehicle link's jobs, apart from their handlers (``reactions``) so the ingest path
can queue them without importing the use cases the handlers run."""

from __future__ import annotations

SEND_COMMAND = "vehicle_link.send_command"
POST_TRIP_CHECK = "vehicle_link.post_trip_check"
PURGE = "vehicle_link.purge"
