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
from babel.core import get_global
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


_OFFICIAL = {"official", "de_facto_official", "official_regional"}


def _regional(language: str, country: str) -> str | None:
    """The locale for ``language`` read in ``country``: the country's own (``de_AT``,
    ``fr_BE``, ``en_GB``) where the language is official there; elsewhere CLDR's regional
    variant (English in Germany: ``en_150``, European English: "7 Jan 2027, 14:05" and
    "15,432.7", not the German "15.432,7"); None when CLDR has neither."""
    spoken = get_global("territory_languages").get(country.upper(), {}).get(language)
    candidate = f"{language}_{country.upper()}"
    if spoken is not None and spoken.get("official_status") in _OFFICIAL:
        return candidate
    parent = get_global("parent_exceptions").get(candidate)
    return str(parent) if parent else None


def _locale(tag: str, language: str, country: str | None = None) -> Locale:
    """The formatting locale: the tag's own variant when it names one (``en-GB``, ``de-AT``),
    else the interface language as read in the owner's country (see :func:`_regional`), else
    the language. Never another language's, so an English page never shows German dates."""
    candidates = [tag.replace("-", "_")]
    if country and "_" not in candidates[0]:
        regional = _regional(language, country)
        if regional is not None:
            candidates.insert(0, regional)
    for candidate in candidates:
        try:
            parsed = Locale.parse(candidate)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
        if parsed.language == language:
            return parsed
    return Locale.parse(language)


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
    def of(
        cls,
        tag: str | None,
        zone: str | None = None,
        *,
        country: str | None = None,
        now: datetime | None = None,
    ) -> Reader:
        """A reader of language ``tag`` living in ``country``, reading times in ``zone``."""
        language = interface_language(tag)
        try:
            where = ZoneInfo(zone) if zone else ZoneInfo("UTC")
        except (ValueError, KeyError):  # a zone tzdata no longer knows: UTC rather than a 500
            where = ZoneInfo("UTC")
        return cls(
            language=language,
            locale=_locale(tag or language, language, country),
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
