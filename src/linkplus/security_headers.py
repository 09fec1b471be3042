"""The security headers every response carries, set in one place: an ASGI middleware around the
whole app, so a page, the API documentation, the sandbox provider's pages, an error page or a
redirect cannot go out without them, whichever router made it.

The base map's tile host (``LINKPLUS_MAP_TILES_URL``), when one is configured, is the one other
origin the policy names, for images only: ``SecurityHeaders(app, image_origins=[...])``.

A response may set one of these headers itself to say something stricter (the wallet and sandbox
pages send ``Referrer-Policy: no-referrer``); the middleware then leaves that one alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(image_origins: Sequence[str] = ()) -> str:
    """Self only: no inline script or style, no framing, forms post only to this site; images
    also from ``image_origins`` (``scheme://host[:port]`` each, checked by the caller)."""
    images = " ".join(["'self'", "data:", *image_origins])
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; object-src 'none'"
    )


CONTENT_SECURITY_POLICY = content_security_policy()


def security_headers(image_origins: Sequence[str] = ()) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(image_origins),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }


SECURITY_HEADERS = security_headers()


class SecurityHeaders:
    """Adds the security headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, image_origins: Sequence[str] = ()) -> None:
        self.app = app
        self._encoded = [
            (name.lower().encode(), value.encode())
            for name, value in security_headers(image_origins).items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(name).lower() for name, _ in headers}
                headers.extend(pair for pair in self._encoded if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_secured)
