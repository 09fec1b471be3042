"""Keeping the gettext catalogues in step with the pages (used by ``tools/i18n.py`` and the tests).

The strings are extracted with babel as ``babel.cfg`` at the top of the repository says: the
templates with jinja2's extractor (``{% trans %}``, ``_()``, ``ngettext``), the web package's
Python modules with babel's own (``N_()`` marks a sentence a page translates when it shows it).
``update`` merges a fresh extraction into every language's ``messages.po``; ``problems`` says
what is wrong with the catalogues as they are: a string of the pages missing from a catalogue,
one a catalogue still has though no page uses it, a translation that is empty or fuzzy, one
that is the English words themselves (unless the language really writes them so:
``SAME_AS_ENGLISH``), or one whose placeholders differ from the English.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from linkplus.web.i18n import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, catalogue_path

WEB_DIR = Path(__file__).parent
ROOT = WEB_DIR.parents[2]
MAPPING_FILE = ROOT / "babel.cfg"
PROJECT = "linkplus"
WIDTH = 100

MessageKey = tuple[str, str | None]  # the msgid (the singular for plurals) and its context

SAME_AS_ENGLISH: dict[str, frozenset[str]] = {
    # Abbreviations, brand-like names and words the language spells as English does; kept short.
    "de": frozenset(
        {"ABS", "Airbag", "Multimedia", "Name", "Online", "Route", "SUV", "Start", "Wallet"}
    ),
    "fr": frozenset(
        {"ABS", "Airbag", "Date", "Distance", "E-mail", "Latitude", "Longitude", "Notifications"}
        | {"SUV", "Total", "score {score}"}
    ),
    "nl": frozenset(
        {"%(price)s per %(period)s", "ABS", "Account", "Airbag", "E-mail", "Inbox", "Model"}
        | {"Multimedia", "Online", "Postcode", "Route", "SUV", "Tip:", "open", "west"}
        | {"score {score}"}
    ),
}
"""Words a language writes as English does; any other translation equal to its English msgid is
an untranslated copy (``update`` once copied English into the catalogues after it, see there)."""


def extract() -> Catalog:
    """Every translatable string of the owner pages, as the template of the catalogues."""
    with MAPPING_FILE.open(encoding="utf-8") as source:
        method_map, options_map = parse_mapping_cfg(source, str(MAPPING_FILE))  # type: ignore[no-untyped-call]
    template = Catalog(project=PROJECT, domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(WEB_DIR), method_map, options_map, strip_comment_tags=True
    ):
        template.add(
            message,
            None,
            [(filename, lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def _key(message: Message) -> MessageKey:
    msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return str(msgid), message.context


def _keys(catalog: Catalog) -> set[MessageKey]:
    return {_key(message) for message in catalog if message.id}


def read(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def _english_source(catalog: Catalog) -> None:
    """The English catalogue says what the pages say: its translations are the msgids."""
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            message.string = tuple(str(part) for part in message.id)
        else:
            message.string = message.id
        message.flags.discard("fuzzy")


def update(languages: Iterable[str] = LANGUAGES, *, template: Catalog | None = None) -> None:
    """Merge the pages' strings into each catalogue: new strings come in untranslated (English
    gets its own words), strings no page uses any more are dropped."""
    fresh = template if template is not None else extract()
    for language in languages:
        path = catalogue_path(language)
        if path.exists():
            catalog = read(language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, domain=DOMAIN, project=PROJECT)
        created = catalog.creation_date
        # A copy per language: babel adds the template's own Message objects for new strings,
        # so the English pass (which fills in the English words) once wrote them into every
        # language updated after it, where they passed for translations.
        catalog.update(copy.deepcopy(fresh), no_fuzzy_matching=True)
        # The header stays as it was, so an update changes the file only where strings changed.
        catalog.creation_date = created
        catalog.project, catalog.version = PROJECT, ""
        catalog.last_translator = catalog.language_team = PROJECT
        if language == DEFAULT_LANGUAGE:
            _english_source(catalog)
        with path.open("wb") as target:
            write_po(
                target,
                catalog,
                width=WIDTH,
                ignore_obsolete=True,
                include_lineno=False,
                sort_output=True,
            )


def _untranslated(message: Message) -> bool:
    parts = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return not parts or any(not part for part in parts)


def _english_copy(language: str, message: Message) -> bool:
    if language == DEFAULT_LANGUAGE:
        return False
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    if len(strings) != len(ids) or any(s != i for s, i in zip(strings, ids, strict=True)):
        return False
    return str(ids[0]) not in SAME_AS_ENGLISH.get(language, frozenset())


def problems(languages: Iterable[str] = LANGUAGES, *, template: Catalog | None = None) -> list[str]:
    """What is wrong with the catalogues, one line each; empty when every page string has a
    translation in every language."""
    fresh = template if template is not None else extract()
    found: list[str] = []
    for language in languages:
        found += problems_of(language, read(language), fresh)
    return found


def problems_of(language: str, catalog: Catalog, template: Catalog) -> list[str]:
    """What is wrong with one language's ``catalog`` against the pages' strings (``template``)."""
    wanted = _keys(template)
    have = _keys(catalog)
    found = [f"{language}: missing {msgid!r}" for msgid, _ in sorted(wanted - have, key=str)]
    found += [
        f"{language}: not used by any page {msgid!r} (run tools/i18n.py update)"
        for msgid, _ in sorted(have - wanted, key=str)
    ]
    for message in catalog:
        if not message.id or _key(message) not in wanted:
            continue
        if _untranslated(message):
            found.append(f"{language}: no translation for {_key(message)[0]!r}")
        elif message.fuzzy:
            found.append(f"{language}: fuzzy (unchecked) translation of {_key(message)[0]!r}")
        elif _english_copy(language, message):
            found.append(
                f"{language}: the English words, not a translation, for {_key(message)[0]!r}"
            )
    for message, errors in catalog.check():
        found += [f"{language}: {_key(message)[0]!r}: {error}" for error in errors]
    return found
