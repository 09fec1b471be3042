"""Names of the remote-control jobs, apart from their handlers (``reactions``)."""

from __future__ import annotations

SEND_COMMAND = "remote.send_command"
EXPIRE_COMMAND = "remote.expire_command"
COMMAND_RESULT = "remote.command_result"
RUN_CLIMATE_SCHEDULE = "remote.run_climate_schedule"
