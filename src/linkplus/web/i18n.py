"""The owner pages' languages: the gettext catalogues, and who reads a page in which language.

The catalogues are the ``.po`` files under ``web/locale/<language>/LC_MESSAGES/messages.po``
(written with ``tools/i18n.py``). They are compiled in memory the first time a language is
needed (babel's ``read_po`` and ``write_mo``), so no generated binary is kept in the tree and a
corrected translation takes effect on the next start.

A page is read by a :class:`Reader`: its interface language (a language that has a catalogue,
English otherwise), the locale its dates, numbers and money follow, and the time zone its times
are shown in. Owners get theirs from the account; visitors without one from the browser's
``Accept-Language`` and UTC.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
# Interface languages: those with a catalogue. Adding one is adding its directory
# (docs/architecture.md, "Languages").
LANGUAGES: tuple[str, ...] = tuple(
    sorted(
        path.name
        for path in LOCALE_DIR.iterdir()
        if (path / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
    )
)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; the page translates it when it shows it."""
    return message


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue of ``language`` (one of :data:`LANGUAGES`)."""
    with catalogue_path(language).open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def interface_language(tag: str | None) -> str:
    """The catalogue for a language tag (``de-AT`` reads German); English when there is none."""
    base = (tag or "").replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def _locale(tag: str, language: str) -> Locale:
    """The formatting locale: the tag itself (``de-AT``, ``en-GB``) when it is a variant of the
    interface language, so an English page never shows German dates; else the language."""
    try:
        parsed = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(language)
    return parsed if parsed.language == language else Locale.parse(language)


def browser_languages(accept_language: str | None) -> list[str]:
    """The tags of an ``Accept-Language`` header, most wanted first (RFC 9110 quality values)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        pieces = [piece.strip() for piece in part.split(";")]
        tag = pieces[0]
        if not tag or tag == "*" or len(tag) > 35:
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


@dataclass(frozen=True)
class Reader:
    """Who reads a page: what its words, dates, numbers and times look like."""

    language: str
    locale: Locale
    zone: ZoneInfo
    now: datetime | None = None  # the request's time (the runtime's clock), for "3 min ago"

    @classmethod
    def of(cls, tag: str | None, zone: str | None = None, *, now: datetime | None = None) -> Reader:
        language = interface_language(tag)
        try:
            where = ZoneInfo(zone) if zone else ZoneInfo("UTC")
        except (ValueError, KeyError):  # a zone tzdata no longer knows: UTC rather than a 500
            where = ZoneInfo("UTC")
        return cls(
            language=language,
            locale=_locale(tag or language, language),
            zone=where,
            now=now,
        )

    @classmethod
    def from_browser(cls, accept_language: str | None, *, now: datetime | None = None) -> Reader:
        """A visitor without an account: the first language of the browser's that has a
        catalogue, formatted as the browser asked (``en-GB``)."""
        for tag in browser_languages(accept_language):
            if interface_language(tag) == tag.replace("_", "-").split("-")[0].lower():
                return cls.of(tag, now=now)
        return cls.of(DEFAULT_LANGUAGE, now=now)

    @property
    def translations(self) -> Translations:
        return translations(self.language)


ENGLISH = Reader.of(DEFAULT_LANGUAGE)
