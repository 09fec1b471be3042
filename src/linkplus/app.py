"""The FastAPI application factory: wiring only."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from linkplus import __version__
from linkplus.accounts.api import router as accounts_router
from linkplus.accounts.api import staff_router
from linkplus.api_docs import mount_api_docs
from linkplus.bootstrap import register_tasks
from linkplus.charging.api import router as charging_router
from linkplus.charging.central import CentralSystem
from linkplus.charging.server import ocpp_route
from linkplus.connected_services.api import router as services_router
from linkplus.dealers.api import router as dealers_router
from linkplus.errors import document_problems, install_error_handlers, problem
from linkplus.garage.api import router as garage_router
from linkplus.garage.staff_api import staff_router as garage_staff_router
from linkplus.invoices.api import router as invoices_router
from linkplus.jobs.worker import Worker
from linkplus.keys.api import router as keys_router
from linkplus.maintenance.api import router as maintenance_router
from linkplus.maintenance.api import staff_router as maintenance_staff_router
from linkplus.notifications.api import router as notifications_router
from linkplus.observability import Metrics, RequestGuard, configure_logging
from linkplus.payments.api import router as payments_router
from linkplus.payments.sandbox import mount_sandbox
from linkplus.privacy.api import router as privacy_router
from linkplus.remote.api import router as remote_router
from linkplus.rights.access_api import router as access_records_router
from linkplus.rights.api import router as rights_router
from linkplus.runtime import Runtime
from linkplus.safety.api import router as safety_router
from linkplus.safety.api import staff_router as safety_staff_router
from linkplus.security_headers import SecurityHeaders
from linkplus.subscriptions.api import router as subscriptions_router
from linkplus.support.api import router as support_router
from linkplus.support.api import staff_router as support_staff_router
from linkplus.trips.api import router as trips_router
from linkplus.vehicle_link.api import router as vehicle_link_router
from linkplus.vehicle_link.runner import VehicleLinkRunner
from linkplus.vehicles.api import router as vehicles_router
from linkplus.web import mount_web


def create_app(
    runtime: Runtime, *, run_worker: bool | None = None, run_gateway: bool | None = None
) -> FastAPI:
    """Build the HTTP app around ``runtime``. The worker and the vehicle link (broker and
    gateway) run inside it unless told otherwise."""
    register_tasks()
    settings = runtime.settings
    with_worker = settings.worker_enabled if run_worker is None else run_worker
    with_gateway = settings.gateway_enabled if run_gateway is None else run_gateway
    metrics = Metrics()
    # Home chargers: the OCPP central system at /ocpp/{charger_id}, unless standalone processes
    # (`linkplus ocpp`) hold them.
    central = CentralSystem(runtime) if settings.ocpp_enabled else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task: asyncio.Task[None] | None = None
        vehicle_link: VehicleLinkRunner | None = None
        if with_gateway:
            vehicle_link = VehicleLinkRunner(runtime, registry=metrics.registry)
            await vehicle_link.start()
        if with_worker:
            task = asyncio.create_task(Worker(runtime).run_forever(stop))
        if central is not None:
            await central.start()
        try:
            yield
        finally:
            stop.set()
            if central is not None:
                await central.stop()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=10)
            if vehicle_link is not None:
                await vehicle_link.stop()
            await runtime.db.dispose()

    app = FastAPI(
        title="linkplus",
        version=__version__,
        summary="Open connected-vehicle services platform: owner API.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served from the package below, not from a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    mount_api_docs(app, docs_url="/api/v1/docs", openapi_url="/api/v1/openapi.json")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        try:
            await runtime.db.ping()
        except Exception:
            return problem(
                503,
                "database_unreachable",
                "Not ready",
                "The database cannot be reached.",
            )
        return JSONResponse({"status": "ready", "database": runtime.db.dialect})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus(_request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(accounts_router, prefix="/api/v1")
    app.include_router(staff_router, prefix="/api/v1")
    app.include_router(notifications_router, prefix="/api/v1")
    app.include_router(garage_router, prefix="/api/v1")
    app.include_router(garage_staff_router, prefix="/api/v1")
    app.include_router(privacy_router, prefix="/api/v1")
    app.include_router(rights_router, prefix="/api/v1")
    app.include_router(access_records_router, prefix="/api/v1")
    app.include_router(services_router, prefix="/api/v1")
    app.include_router(vehicles_router, prefix="/api/v1")
    app.include_router(dealers_router, prefix="/api/v1")
    app.include_router(payments_router, prefix="/api/v1")
    app.include_router(invoices_router, prefix="/api/v1")
    app.include_router(subscriptions_router, prefix="/api/v1")
    if settings.payment_provider_url is None:
        # The shipped sandbox provider stands in for a real one only when none is configured.
        mount_sandbox(app, runtime)
    app.include_router(vehicle_link_router, prefix="/api/v1")
    app.include_router(remote_router, prefix="/api/v1")
    app.include_router(trips_router, prefix="/api/v1")
    app.include_router(safety_router, prefix="/api/v1")
    app.include_router(safety_staff_router, prefix="/api/v1")
    app.include_router(keys_router, prefix="/api/v1")
    app.include_router(maintenance_router, prefix="/api/v1")
    app.include_router(maintenance_staff_router, prefix="/api/v1")
    app.include_router(support_router, prefix="/api/v1")
    app.include_router(support_staff_router, prefix="/api/v1")
    app.include_router(charging_router, prefix="/api/v1")
    if central is not None:
        app.router.routes.append(ocpp_route(central))
        app.state.ocpp = central
    mount_web(app, runtime)
    document_problems(app)
    app.add_middleware(
        RequestGuard,
        max_body=settings.max_body_bytes,
        metrics=metrics,
        body_timeout=settings.body_timeout_seconds,
    )
    tiles = settings.map_tiles
    app.add_middleware(  # outermost: the guard's own answers carry them too
        SecurityHeaders, image_origins=[tiles.origin_text] if tiles else []
    )
    configure_logging(json=settings.log_json, level=settings.log_level)
    return app
