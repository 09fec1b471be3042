"""Which edition and version of the legal documents an account is shown (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from linkplus.models.privacy import DocumentKind
from linkplus.privacy.documents import library as shipped
from linkplus.privacy.documents import parse
from linkplus.privacy.service import current_documents


def _edition(kind: DocumentKind, country: str, language: str) -> tuple[str, str]:
    chosen = shipped().edition_for(kind, country, language)
    return chosen.country, chosen.language


@pytest.mark.parametrize(
    ("country", "language", "expected"),
    [
        ("DE", "de", ("DE", "de")),  # exact
        ("AT", "de", ("AT", "de")),
        ("FR", "fr", ("FR", "fr")),
        ("GB", "en", ("GB", "en")),
        ("BE", "fr", ("BE", "fr")),  # second language of a country, exact
        ("DE", "en", ("DE", "de")),  # country's first language
        ("BE", "de", ("BE", "nl")),  # Belgium lists Dutch first
        ("CH", "fr", ("default", "en")),  # no edition for the country: default market, English
        ("JP", "ja", ("default", "en")),
        ("de", "DE-at", ("DE", "de")),  # codes in any case, locale tags read as the language
        ("AT", "de_AT", ("AT", "de")),
    ],
)
def test_edition_for_an_account(country: str, language: str, expected: tuple[str, str]) -> None:
    assert _edition(DocumentKind.terms_of_use, country, language) == expected


def test_privacy_notice_falls_back_on_its_own_editions() -> None:
    # Belgium has a French Terms of Use but only a Dutch Privacy Notice.
    assert _edition(DocumentKind.terms_of_use, "BE", "fr") == ("BE", "fr")
    assert _edition(DocumentKind.privacy_notice, "BE", "fr") == ("BE", "nl")


def test_current_version_is_the_latest_effective_one() -> None:
    documents = {d.document: d for d in current_documents("DE", "de")}
    assert documents[DocumentKind.terms_of_use].version == "2.0"
    assert documents[DocumentKind.terms_of_use].effective_from == date(2026, 3, 1)
    assert documents[DocumentKind.terms_of_use].title == "Nutzungsbedingungen"
    assert documents[DocumentKind.privacy_notice].version == "1.0"
    assert [d.document for d in current_documents("CH", "it")] == list(DocumentKind)
    assert current_documents("CH", "it")[0].version == "1.1"
    assert current_documents("CH", "it")[0].title == "Terms of Use"


def test_older_versions_can_still_be_found() -> None:
    old = shipped().find(DocumentKind.terms_of_use, "DE", "de", "1.0")
    assert old is not None
    assert old.effective_from == date(2024, 1, 15)
    assert shipped().find(DocumentKind.terms_of_use, "DE", "de", "9.9") is None
    assert shipped().find(DocumentKind.terms_of_use, "IT", "it", "1.0") is None


def test_versions_are_ordered_by_date_not_by_listing() -> None:
    raw = {
        kind.value: {
            "title": {"en": kind.value},
            "editions": [
                {
                    "country": "default",
                    "language": "en",
                    "versions": [
                        {"version": "b", "effective_from": "2025-01-01", "text": "newer"},
                        {"version": "a", "effective_from": "2024-01-01", "text": "older"},
                    ],
                }
            ],
        }
        for kind in DocumentKind
    }
    assert parse(raw).current(DocumentKind.terms_of_use, "DE", "de").version == "b"


def test_a_library_without_default_english_edition_is_refused() -> None:
    raw = {
        kind.value: {
            "title": {"en": kind.value},
            "editions": [
                {
                    "country": "DE",
                    "language": "de",
                    "versions": [{"version": "1", "effective_from": "2024-01-01", "text": "x"}],
                }
            ],
        }
        for kind in DocumentKind
    }
    with pytest.raises(ValueError, match="no default edition"):
        parse(raw)
