"""The API documentation page, ``/api/v1/docs``: Swagger UI served by the platform itself.

FastAPI's own docs page loads Swagger UI from a CDN and starts it with an inline script: blank
without internet, and impossible under the Content-Security-Policy every other page carries.
Here Swagger UI's files come from a pinned PyPI package (``swagger-ui-bundle-v2``, the
spec-first project's build of the official ``swagger-ui-dist``), and the page starts it with a
script file of ours, so the page works offline under the same policy (``security_headers``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import escape
from swagger_ui_bundle import swagger_ui_path

from linkplus.errors import NotFound

ASSETS = {
    "swagger-ui.css": "text/css",
    "index.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}

# Reads the OpenAPI address from the page, so the script is the same file for every deployment.
_START = """\
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
"""


def _page(title: str, openapi_url: str, assets: str, start: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} API</title>\n"
        f'<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">\n'
        f'<link rel="stylesheet" href="{assets}/swagger-ui.css">\n'
        f'<link rel="stylesheet" href="{assets}/index.css">\n'
        "</head><body>\n"
        f'<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>\n'
        f'<script src="{assets}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{start}"></script>\n'
        "</body></html>\n"
    )


def mount_api_docs(app: FastAPI, *, docs_url: str, openapi_url: str) -> None:
    """Serve the documentation page at ``docs_url`` and its files under ``{docs_url}/assets``."""
    directory = Path(str(swagger_ui_path))
    assets = f"{docs_url}/assets"
    start = f"{docs_url}/start.js"
    html = _page(app.title, openapi_url, assets, start)

    @app.get(docs_url, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(html)

    @app.get(start, include_in_schema=False)
    async def api_docs_start() -> Response:
        return Response(_START, media_type="text/javascript")

    @app.get(assets + "/{name}", include_in_schema=False)
    async def api_docs_asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise NotFound("No such documentation file.")
        return FileResponse(
            directory / name, media_type=media_type, headers={"Cache-Control": "max-age=86400"}
        )
