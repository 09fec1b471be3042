"""The sandbox payment provider shipped with linkplus: a separate system behind an HTTP API.

It has its own tokenisation page, 3-D Secure challenge, test card numbers, charges and refunds,
and its own ``sandbox_*`` tables. It is mounted in the app under ``/sandbox-pay`` so a fresh
install can take (pretend) payments, but the platform reaches it only over HTTP, through the same
adapter it would use for any provider speaking this protocol.
"""

from __future__ import annotations

from fastapi import FastAPI

from linkplus.payments.endpoint import SANDBOX_PATH
from linkplus.payments.sandbox.api import router as api_router
from linkplus.payments.sandbox.pages import router as pages_router
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime


def mount_sandbox(app: FastAPI, runtime: Runtime) -> None:
    """Serve the sandbox provider's API and pages under ``/sandbox-pay``."""
    app.state.sandbox_pay = SandboxStore(runtime)
    app.include_router(api_router, prefix=SANDBOX_PATH)
    app.include_router(pages_router, prefix=SANDBOX_PATH)
