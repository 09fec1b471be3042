"""Templates and see-other redirects. The security headers every page carries are set for every
response in one place, ``linkplus.security_headers``.

Pages speak the reader's language (``web/i18n.py``): the templates' words go through gettext
(``{% trans %}`` and ``_()``, jinja2's i18n extension), and the filters below write dates, times,
numbers, money and durations with babel for the reader's locale, times in the reader's zone. The
reader of the page being rendered is held in a context variable for the length of the render, so
the one shared template environment serves every language at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from linkplus.kit.clock import utc
from linkplus.kit.money import Money, format_money
from linkplus.kit.parsing import InputRefused, parse_site_path
from linkplus.web.i18n import DEFAULT_LANGUAGE, Reader

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


_READER: ContextVar[Reader | None] = ContextVar("linkplus_page_reader", default=None)


def reader() -> Reader:
    """The reader of the page being rendered (English and UTC outside a render)."""
    current = _READER.get()
    return current if current is not None else Reader.of(DEFAULT_LANGUAGE)


@contextmanager
def reading(who: Reader) -> Iterator[Reader]:
    """Render (or format) for ``who`` inside the block."""
    token = _READER.set(who)
    try:
        yield who
    finally:
        _READER.reset(token)


# --- the words: gettext of the reader's catalogue --------------------------------------------


def gettext(message: str) -> str:
    return str(reader().translations.gettext(message))


def ngettext(singular: str, plural: str, count: int) -> str:
    return str(reader().translations.ngettext(singular, plural, count))


def translated(message: str | None) -> str:
    """A sentence made in Python (marked with ``N_``), in the reader's language. Unlike ``_()``
    in a template the result is plain text, escaped like any value, so a message that might
    carry what someone typed is never taken as markup."""
    if not message:
        return ""
    return gettext(str(message))


def pgettext(context: str, message: str) -> str:
    return str(reader().translations.pgettext(context, message))


def npgettext(context: str, singular: str, plural: str, count: int) -> str:
    return str(reader().translations.npgettext(context, singular, plural, count))


# --- dates, times, numbers, money, durations -------------------------------------------------


def _time_pattern() -> str:
    """Medium date, short time and the zone's short name, joined as the locale joins them:
    ``7 Jan 2027, 14:05 CET``, ``07.01.2027, 14:05 MEZ``, ``Jan 7, 2027, 2:05 PM EST``."""
    locale = reader().locale
    joined = str(locale.datetime_formats["medium"])
    day_part = locale.date_formats["medium"].pattern
    time_part = locale.time_formats["short"].pattern + " z"
    return joined.replace("{1}", day_part).replace("{0}", time_part)


def when(moment: datetime | None) -> str:
    """A moment in the reader's time zone and locale (naive values are UTC, as SQLite gives)."""
    if moment is None:
        return ""
    who = reader()
    return str(format_datetime(utc(moment), _time_pattern(), tzinfo=who.zone, locale=who.locale))


def day(value: date | datetime | None, style: str = "medium") -> str:
    """A calendar day (a datetime is first moved to the reader's zone): ``7 Jan 2027``."""
    if value is None:
        return ""
    who = reader()
    if isinstance(value, datetime):
        value = utc(value).astimezone(who.zone).date()
    return str(format_date(value, style, locale=who.locale))


def number(value: float | int | Decimal | None, digits: int | None = None) -> str:
    """A number with the locale's grouping and decimal sign (``12.345,6`` in German)."""
    if value is None:
        return ""
    if digits is None:
        return str(format_decimal(value, locale=reader().locale))
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(format_decimal(value, format=pattern, locale=reader().locale))


def money(value: Money | int | None, currency: str | None = None) -> str:
    """An amount as the reader writes it: a ``Money``, or minor units and a currency code."""
    if value is None:
        return ""
    amount = value if isinstance(value, Money) else Money(value, currency or "")
    return format_money(amount, str(reader().locale))


Granularity = Literal["year", "month", "week", "day", "hour", "minute", "second"]


def duration(value: float | int | timedelta | None, granularity: Granularity = "second") -> str:
    """A length of time in words with the locale's plural forms: ``1 second``, ``2 Sekunden``."""
    if value is None:
        return ""
    span = value if isinstance(value, timedelta) else timedelta(seconds=value)
    return str(
        format_timedelta(
            span, granularity=granularity, threshold=0.9, format="long", locale=reader().locale
        )
    )


_WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday(key: str, width: str = "abbreviated") -> str:
    """A weekday key ("mon" ... "sun") as the reader's language names it (CLDR: "Mo.", "lun.")."""
    return str(reader().locale.days["format"][width][_WEEKDAY_KEYS.index(key)])


def ago(moment: datetime | None) -> str:
    """How long ago ``moment`` was (``3 minutes ago``, ``vor 3 Minuten``); the moment itself
    when the page has no clock."""
    if moment is None:
        return ""
    who = reader()
    if who.now is None:
        return when(moment)
    return str(
        format_timedelta(
            utc(moment) - utc(who.now),
            add_direction=True,
            threshold=0.9,
            format="long",
            locale=who.locale,
        )
    )


templates = Environment(
    loader=PackageLoader("linkplus.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# Whitespace inside {% trans %} is folded, in the pages and in the extraction (babel.cfg).
templates.policies["ext.i18n.trimmed"] = True
templates.install_gettext_callables(  # type: ignore[attr-defined]
    gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
)
templates.filters["linkify"] = linkify
templates.filters["translated"] = translated
templates.filters["when"] = when
templates.filters["day"] = day
templates.filters["number"] = number
templates.filters["money"] = money
templates.filters["duration"] = duration
templates.filters["ago"] = ago
templates.filters["weekday"] = weekday


def html_page(
    template: str, context: dict[str, Any], *, status: int = 200, who: Reader | None = None
) -> HTMLResponse:
    """``template`` rendered for ``who`` (English and UTC when not given)."""
    page_reader = who if who is not None else reader()
    context.setdefault("page_language", page_reader.language)
    with reading(page_reader):
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
