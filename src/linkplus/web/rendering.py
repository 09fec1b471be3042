"""Templates and see-other redirects. The security headers every page carries are set for every
response in one place, ``linkplus.security_headers``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from linkplus.kit.parsing import InputRefused, parse_site_path

_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Escape ``text`` and turn the http(s) addresses in it into links (the dev mailbox)."""
    pieces: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        end = match.start() + len(url)
        pieces.append(str(escape(text[position : match.start()])))
        pieces.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        position = end
    pieces.append(str(escape(text[position:])))
    return Markup("".join(pieces))  # noqa: S704 - every piece above is escaped


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.strftime("%d %b %Y, %H:%M UTC")


templates = Environment(
    loader=PackageLoader("linkplus.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["linkify"] = linkify
templates.filters["when"] = when


def html_page(template: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    body = templates.get_template(template).render(context)
    return HTMLResponse(body, status_code=status)


def see_other(path: str, **query: str) -> RedirectResponse:
    """Post/redirect/get: after a form, the browser loads the next page with GET."""
    target = path + ("?" + urlencode(query) if query else "")
    return RedirectResponse(target, status_code=303)


def safe_next(value: str | None, default: str = "/vehicle") -> str:
    """Only paths on this site (the shared strict parser), so a crafted link cannot send people
    elsewhere."""
    try:
        return parse_site_path(value or "", field="next")
    except InputRefused:
        return default


def is_internal_link(link: str | None, public_url: str) -> bool:
    if not link:
        return False
    if link.startswith("/") and not link.startswith("//"):
        return True
    return link.startswith(public_url.rstrip("/") + "/")
