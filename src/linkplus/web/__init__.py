"""Server-rendered web app: the owner pages and the staff console.

Everything here calls domain services only. Pages are plain HTML forms (no build step, nothing
fetched from the internet); the one stylesheet is served from ``static/``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from linkplus.runtime import Runtime
from linkplus.web.access_pages import router as access_router
from linkplus.web.account_pages import router as account_router
from linkplus.web.app_shell import router as app_shell_router
from linkplus.web.auth_pages import router as auth_router
from linkplus.web.cars import NotPrimaryHere
from linkplus.web.charging_pages import router as charging_router
from linkplus.web.console import router as console_router
from linkplus.web.console_safety import router as console_safety_router
from linkplus.web.console_support import router as console_support_router
from linkplus.web.console_vehicles import router as console_vehicles_router
from linkplus.web.dealer_pages import router as dealer_router
from linkplus.web.erasure_pages import router as erasure_router
from linkplus.web.errors_pages import install_error_pages
from linkplus.web.export_pages import router as export_router
from linkplus.web.garage_pages import router as garage_router
from linkplus.web.invoice_pages import router as invoice_router
from linkplus.web.keys_pages import router as keys_router
from linkplus.web.mailbox import router as mailbox_router
from linkplus.web.maintenance_pages import router as maintenance_router
from linkplus.web.privacy_pages import router as privacy_router
from linkplus.web.remote_pages import router as remote_router
from linkplus.web.rendering import see_other
from linkplus.web.safety_pages import router as safety_router
from linkplus.web.sections import router as sections_router
from linkplus.web.services_pages import router as services_router
from linkplus.web.sessions import (
    ConfirmationNeeded,
    CsrfRefused,
    SignInNeeded,
    render,
    visitor_without_session,
)
from linkplus.web.status_pages import router as status_router
from linkplus.web.subscription_pages import router as subscription_router
from linkplus.web.support_pages import router as support_router
from linkplus.web.trips_pages import router as trips_router
from linkplus.web.wallet_pages import router as wallet_router

STATIC_DIR = Path(__file__).parent / "static"


def mount_web(app: FastAPI, runtime: Runtime) -> None:
    """Add the web pages, the console and their static files to ``app``."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(app_shell_router)
    app.include_router(sections_router)
    app.include_router(garage_router)
    app.include_router(services_router)
    app.include_router(subscription_router)
    app.include_router(wallet_router)
    app.include_router(invoice_router)
    app.include_router(trips_router)
    app.include_router(remote_router)
    app.include_router(keys_router)
    app.include_router(status_router)
    app.include_router(auth_router)
    app.include_router(account_router)
    app.include_router(erasure_router)  # before the portal's /account/privacy/{document}
    app.include_router(privacy_router)
    app.include_router(export_router)
    app.include_router(access_router)
    app.include_router(dealer_router)
    app.include_router(charging_router)
    app.include_router(console_router)
    app.include_router(console_vehicles_router)
    app.include_router(console_safety_router)
    app.include_router(console_support_router)
    app.include_router(safety_router)
    app.include_router(maintenance_router)
    app.include_router(support_router)
    if runtime.settings.dev_mailbox:
        app.include_router(mailbox_router)
    install_error_pages(app)  # web addresses answer errors as pages; the API keeps its JSON
    app.add_exception_handler(SignInNeeded, _to_sign_in)
    app.add_exception_handler(ConfirmationNeeded, _to_confirmation)
    app.add_exception_handler(CsrfRefused, _refused)
    app.add_exception_handler(NotPrimaryHere, _to_car_page)


async def _to_sign_in(_request: Request, exc: Exception) -> Response:
    target = exc.next_path if isinstance(exc, SignInNeeded) else "/"
    if target in ("/", "/vehicle"):
        return see_other("/signin")
    return see_other("/signin", next=target)


async def _to_car_page(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotPrimaryHere)
    return see_other(exc.to, done="not_primary")


async def _to_confirmation(_request: Request, _exc: Exception) -> Response:
    return see_other("/activation-email")


async def _refused(request: Request, _exc: Exception) -> Response:
    # A fresh visitor (not the one whose form failed): the page must render even when the
    # failure came from a broken session cookie.
    visitor = visitor_without_session(request, request.app.state.runtime.settings)
    return render(request, visitor, "refused.html", status=403)
