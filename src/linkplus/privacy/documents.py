"""The legal documents shipped with the platform, and which edition an account gets.

Each document (Terms of Use, Privacy Notice) exists in editions per market and language, and each
edition in versions over time. An account reads the edition for its country and language; if that
country has no edition in the language, the country's first language (the first edition listed for
the country); if the country has none at all, the default market in English. The current version
of an edition is the one with the latest ``effective_from``: publishing a new version makes every
earlier acceptance of that edition outdated.

Pure: the file is read once, and everything here takes and returns values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from linkplus.models.privacy import DocumentKind

DEFAULT_MARKET = "default"
DEFAULT_LANGUAGE = "en"
DATA_FILE = Path(__file__).parent / "data" / "documents.json"


@dataclass(frozen=True)
class LegalDocument:
    """One version of one edition of a document."""

    document: DocumentKind
    country: str
    language: str
    version: str
    effective_from: date
    title: str
    text: str


@dataclass(frozen=True)
class Edition:
    document: DocumentKind
    country: str
    language: str
    versions: tuple[LegalDocument, ...]  # oldest first

    @property
    def current(self) -> LegalDocument:
        return self.versions[-1]

    def version(self, version: str) -> LegalDocument | None:
        return next((v for v in self.versions if v.version == version), None)


def normalize_country(country: str) -> str:
    value = country.strip()
    return DEFAULT_MARKET if value.lower() == DEFAULT_MARKET else value.upper()


def normalize_language(language: str) -> str:
    """``de-AT`` and ``de_AT`` read the German edition: documents are per language, not locale."""
    return language.strip().replace("_", "-").split("-")[0].lower()


class Library:
    """All editions of all documents, with the rule that picks one for an account."""

    def __init__(
        self,
        editions: list[Edition],
        titles: Mapping[DocumentKind, Mapping[str, str]] | None = None,
    ) -> None:
        self._editions = {(e.document, e.country, e.language): e for e in editions}
        self._titles = {kind: dict(names) for kind, names in (titles or {}).items()}
        self._first_language: dict[tuple[DocumentKind, str], str] = {}
        for edition in editions:
            self._first_language.setdefault((edition.document, edition.country), edition.language)
        for kind in DocumentKind:
            if (kind, DEFAULT_MARKET, DEFAULT_LANGUAGE) not in self._editions:
                raise ValueError(f"{kind.value} has no default edition in English")

    def edition_for(self, document: DocumentKind, country: str, language: str) -> Edition:
        country, language = normalize_country(country), normalize_language(language)
        exact = self._editions.get((document, country, language))
        if exact is not None:
            return exact
        first = self._first_language.get((document, country))
        if first is not None:
            return self._editions[(document, country, first)]
        return self._editions[(document, DEFAULT_MARKET, DEFAULT_LANGUAGE)]

    def title(self, document: DocumentKind, language: str) -> str | None:
        """The document's title in ``language`` (the reader's), if it has been translated."""
        return self._titles.get(document, {}).get(normalize_language(language))

    def current(self, document: DocumentKind, country: str, language: str) -> LegalDocument:
        return self.edition_for(document, country, language).current

    def current_documents(self, country: str, language: str) -> list[LegalDocument]:
        return [self.current(kind, country, language) for kind in DocumentKind]

    def find(
        self, document: DocumentKind, country: str, language: str, version: str
    ) -> LegalDocument | None:
        """An exact edition's version (for showing what an account once accepted)."""
        edition = self._editions.get(
            (document, normalize_country(country), normalize_language(language))
        )
        return edition.version(version) if edition is not None else None


def parse(raw: Mapping[str, Any]) -> Library:
    editions: list[Edition] = []
    all_titles: dict[DocumentKind, Mapping[str, str]] = {}
    for kind in DocumentKind:
        spec = raw[kind.value]
        titles: Mapping[str, str] = spec["title"]
        all_titles[kind] = {normalize_language(name): text for name, text in titles.items()}
        for entry in spec["editions"]:
            country = normalize_country(entry["country"])
            language = normalize_language(entry["language"])
            title = titles.get(language, titles[DEFAULT_LANGUAGE])
            versions = sorted(
                (
                    LegalDocument(
                        document=kind,
                        country=country,
                        language=language,
                        version=str(v["version"]),
                        effective_from=date.fromisoformat(v["effective_from"]),
                        title=title,
                        text=v["text"],
                    )
                    for v in entry["versions"]
                ),
                key=lambda d: d.effective_from,
            )
            if not versions:
                raise ValueError(f"{kind.value} {country}/{language} has no versions")
            editions.append(Edition(kind, country, language, tuple(versions)))
    return Library(editions, all_titles)


@cache
def library() -> Library:
    """The documents shipped in ``data/documents.json``, read once per process."""
    return parse(json.loads(DATA_FILE.read_text(encoding="utf-8")))
