"""The owner pages in the reader's language and time zone.

The catalogues: every string the pages translate has a non-empty translation in every language,
and the catalogues hold exactly the pages' strings (``tools/i18n.py update`` keeps them so).
The filters: dates, times, numbers and money as the interface language writes them, times in
the owner's zone, plural forms from the catalogue or CLDR. The pages: the account's language and
zone, or the browser's language for a visitor without an account.
"""

from __future__ import annotations

import html
import json
import os
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy import select

from linkplus.accounts import errors as accounts_errors
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.kit.money import Money
from linkplus.models.accounts import Account
from linkplus.models.notifications import Category
from linkplus.notifications import service as notifications
from linkplus.remote import preconditions
from linkplus.remote import service as remote_service
from linkplus.rights import erasure_rules
from linkplus.rights import errors as rights_errors
from linkplus.runtime import Runtime
from linkplus.safety import rules as safety_rules
from linkplus.trips import views as trip_views
from linkplus.web import catalogues, domain_words, remote_pages
from linkplus.web.i18n import LANGUAGES, Reader, browser_languages, catalogue_path
from linkplus.web.rendering import ago, day, duration, money, ngettext, number, reading, when
from tests.connected_services.support import ACCEPT_DE, link, make_vehicle
from tests.support import DEFAULT_PASSWORD, bearer_for, make_owner
from tests.web.support import (
    PHONE,
    LiveServer,
    async_playwright_browser,
    csrf_in,
    keep_copy,
    post_form,
    require_chromium,
    sign_in,
    submit,
    text_of,
)

MOMENT = datetime(2027, 1, 7, 13, 5, tzinfo=UTC)  # 14:05 in Berlin, 08:05 in New York


# --- the catalogues ----------------------------------------------------------------------------


def test_the_four_languages_have_catalogues() -> None:
    assert {"en", "de", "fr", "nl"} <= set(LANGUAGES)


def test_every_page_string_is_translated_in_every_catalogue() -> None:
    found = catalogues.problems()
    assert found == [], "\n".join(found) + "\n(run: python tools/i18n.py update, then translate)"


def test_the_check_names_a_string_a_catalogue_lacks() -> None:
    """The check above can fail: a page string no catalogue has yet is reported per language."""
    template = catalogues.extract()
    template.add("A sentence added to a page today")
    found = catalogues.problems(template=template)
    for language in LANGUAGES:
        assert f"{language}: missing 'A sentence added to a page today'" in found


def test_the_check_names_an_empty_or_broken_translation() -> None:
    catalog = catalogues.read("de")
    catalog["Sign in"].string = ""
    catalog["Accept version %(version)s"].string = "Version %(versoin)s akzeptieren"
    catalog["Accept version %(version)s"].flags.add("python-format")
    found = catalogues.problems_of("de", catalog, catalogues.extract())
    assert "de: no translation for 'Sign in'" in found
    assert any("Accept version %(version)s" in line and "versoin" in line for line in found)


def test_the_check_names_english_words_left_in_another_language() -> None:
    catalog = catalogues.read("fr")
    catalog["Sign in"].string = "Sign in"
    found = catalogues.problems_of("fr", catalog, catalogues.extract())
    assert "fr: the English words, not a translation, for 'Sign in'" in found
    assert not any("'E-mail'" in line for line in found)  # French writes it so too


def test_an_update_brings_new_strings_in_untranslated_in_every_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the English pass filled the shared template's new messages with English, and
    every language updated after English (French, Dutch) got them as if translated."""
    for language in LANGUAGES:
        target = tmp_path / language / "LC_MESSAGES" / "messages.po"
        target.parent.mkdir(parents=True)
        target.write_bytes(catalogue_path(language).read_bytes())
    monkeypatch.setattr(
        catalogues,
        "catalogue_path",
        lambda language: tmp_path / language / "LC_MESSAGES" / "messages.po",
    )
    template = catalogues.extract()
    template.add("A sentence added to a page today")
    catalogues.update(template=template)
    for language in LANGUAGES:
        added = catalogues.read(language)["A sentence added to a page today"]
        expected = "A sentence added to a page today" if language == "en" else ""
        assert added.string == expected, language


def test_the_extraction_sees_the_templates_and_the_marked_python_strings() -> None:
    ids = {message.id for message in catalogues.extract() if message.id}
    assert "Sign out" in ids  # base.html
    assert "Time zone" in ids  # account.html
    assert ("%(count)s unread notification", "%(count)s unread notifications") in ids
    assert "Your profile is saved." in ids  # notices.py, marked with N_


# --- the filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "country", "zone", "expected"),
    [
        ("en", "DE", "Europe/Berlin", "7 Jan 2027, 14:05 CET"),
        ("en", "US", "America/New_York", "Jan 7, 2027, 8:05\u202fAM EST"),
        ("en-GB", None, "Europe/London", "7 Jan 2027, 13:05 GMT"),
        ("de", "DE", "Europe/Berlin", "07.01.2027, 14:05 MEZ"),
        ("fr", "FR", "Europe/Paris", "7 janv. 2027, 14:05 +0100"),
        ("nl", "BE", "Europe/Brussels", "7 jan 2027, 14:05 CET"),
        ("es", "ES", "UTC", "7 Jan 2027, 13:05 UTC"),  # no Spanish catalogue: English
    ],
)
def test_a_moment_is_written_in_the_readers_language_and_zone(
    language: str, country: str | None, zone: str, expected: str
) -> None:
    with reading(Reader.of(language, zone, country=country)):
        assert when(MOMENT) == expected


def test_an_english_page_never_writes_german_dates() -> None:
    """An English-speaking owner in Germany reads English month names in Berlin time."""
    with reading(Reader.of("en", "Europe/Berlin", country="DE")):
        written = [when(MOMENT), day(date(2027, 1, 7)), day(MOMENT, "long")]
    assert written == ["7 Jan 2027, 14:05 CET", "7 Jan 2027", "7 January 2027"]
    assert not any(re.search(r"\bJanuar\b|\d\.\d\d\.", text) for text in written)


def test_a_day_of_a_moment_is_the_day_where_the_owner_lives() -> None:
    late = datetime(2027, 1, 7, 23, 30, tzinfo=UTC)
    with reading(Reader.of("de", "Europe/Berlin", country="DE")):
        assert day(late) == "08.01.2027"
    with reading(Reader.of("de", "America/New_York", country="DE")):
        assert day(late) == "07.01.2027"


def test_numbers_and_money_follow_the_language() -> None:
    with reading(Reader.of("en", "UTC", country="DE")):
        assert number(15432.7, 1) == "15,432.7"
        assert money(Money(123450, "EUR")) == "1,234.50\xa0€"  # European English (en_150)
    with reading(Reader.of("en", "UTC", country="US")):
        assert money(Money(123450, "EUR")) == "€1,234.50"
    with reading(Reader.of("de", "UTC", country="DE")):
        assert number(15432.7, 1) == "15.432,7"
        assert money(123450, "EUR") == "1.234,50\xa0€"
    with reading(Reader.of("fr", "UTC", country="FR")):
        assert number(15432.7, 1) == "15\u202f432,7"


def test_plural_forms_are_the_languages() -> None:
    with reading(Reader.of("en", "UTC")):
        assert [duration(1), duration(2), duration(0)] == ["1 second", "2 seconds", "0 seconds"]
        assert duration(timedelta(minutes=1)) == "1 minute"
        assert ngettext("%(count)s unread notification", "%(count)s unread notifications", 1) == (
            "%(count)s unread notification"
        )
    with reading(Reader.of("de", "UTC")):
        assert [duration(1), duration(2)] == ["1 Sekunde", "2 Sekunden"]
    with reading(Reader.of("fr", "UTC")):
        # French takes the singular for 0 and 1, in the catalogue's Plural-Forms.
        singular, plural = "%(count)s unread notification", "%(count)s unread notifications"
        assert ngettext(singular, plural, 0) == "%(count)s notification non lue"
        assert ngettext(singular, plural, 2) == "%(count)s notifications non lues"


def test_ago_counts_from_the_requests_clock() -> None:
    with reading(Reader.of("en", "UTC", now=MOMENT)):
        assert ago(MOMENT - timedelta(minutes=3)) == "3 minutes ago"
        assert ago(MOMENT - timedelta(seconds=1)) == "1 second ago"
    with reading(Reader.of("nl", "UTC", now=MOMENT)):
        assert ago(MOMENT - timedelta(hours=1)) == "1 uur geleden"


def test_the_browsers_languages_are_taken_by_quality() -> None:
    assert browser_languages("es, de;q=0.5, fr;q=0.8, *;q=0.1, nl;q=0") == ["es", "fr", "de"]
    assert Reader.from_browser("es, de;q=0.5, fr;q=0.8").language == "fr"
    assert Reader.from_browser("nl-BE,nl;q=0.9").locale.territory == "BE"
    assert Reader.from_browser("ja, ko").language == "en"
    assert Reader.from_browser(None).language == "en"
    assert Reader.from_browser("de;q=nonsense, en-GB").language == "en"


def test_a_zone_the_platform_no_longer_knows_shows_utc_rather_than_failing() -> None:
    assert str(Reader.of("en", "Mars/Olympus_Mons").zone) == "UTC"


# --- the pages ---------------------------------------------------------------------------------


async def _owner(runtime: Runtime, *, language: str, zone: str, country: str = "DE") -> Account:
    owner = await make_owner(runtime, language=language, country=country)
    async with runtime.db.transaction() as session:
        stored = await session.get(Account, owner.id)
        assert stored is not None
        stored.time_zone = zone
    return owner


async def _notify(runtime: Runtime, owner: Account, title: str) -> None:
    async with runtime.db.transaction() as session:
        await notifications.notify(
            session,
            now=runtime.clock.now(),
            account_id=owner.id,
            category=Category.account,
            kind="test.i18n",
            title=title,
            body="Body",
        )


async def test_the_inbox_shows_times_in_the_owners_zone_and_language(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    clock.set(MOMENT)
    owner = await _owner(runtime, language="en", zone="America/New_York", country="US")
    await _notify(runtime, owner, "First")
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    page = (await client.get("/notifications")).text
    assert "Jan 7, 2027, 8:05\u202fAM EST" in page
    assert "1 unread notification<" in page
    assert '<html lang="en">' in page
    await _notify(runtime, owner, "Second")
    assert "2 unread notifications<" in (await client.get("/notifications")).text


async def test_a_german_owner_reads_german_pages_with_german_dates(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    clock.set(MOMENT)
    owner = await _owner(runtime, language="de", zone="Europe/Berlin")
    await _notify(runtime, owner, "Erste")
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    page = (await client.get("/notifications")).text
    assert '<html lang="de">' in page
    assert "07.01.2027, 14:05 MEZ" in page
    assert "1 ungelesene Mitteilung<" in page
    for section in ("Fahrzeug", "Karte", "Mitteilungen", "Konto", "Hilfe"):
        assert f"<span>{section}</span>" in page
    assert "Abmelden" in page
    account = (await client.get("/account")).text
    assert "Zeitzone" in account
    assert "Profil speichern" in account


# The owner's pages of a car, with words each must show in German, and the English navigation
# (sections, links between the pages, buttons) none of them may still show.
_GERMAN_WORDS = {
    "/vehicle": ("Meine Garage", "Hauptkonto", "Fahrzeug hinzufügen"),
    "/vehicle/{vin}": (
        "Das Fahrzeug hat sein Notrufsystem noch nicht gemeldet.",  # the safety domain's words
        "Die Fahranalyse steht nach Ihrer ersten aufgezeichneten Fahrt zur Verfügung.",  # trips'
        "Letzte Fahrt",
        "Fahrten und Fahrbewertungen",
        "Verkauf vorbereiten",
        "Erstauslieferung",
    ),
    "/map": ("Karte", "Mein Fahrzeug finden", "Letzte Fahrten auf der Karte"),
    "/vehicle/{vin}/services": ("Connected-Services-Center", "Pakete", "Aktivieren"),
    "/vehicle/{vin}/subscriptions": ("Abonnements", "Rechnungen", "Nicht aktiv"),
    "/wallet": ("Ihre Hauptkarte bezahlt jedes Abonnement", "Karte hinzufügen", "Konto"),
    "/vehicle/{vin}/remote": (
        "Fernsteuerung",
        "Verriegeln",
        "Klimatisierung starten",
        "Für dieses Fahrzeug nicht verfügbar",
        "Fragen Sie Ihren Händler, was Ihr Fahrzeug bietet.",  # the remote domain's refusal
    ),
    "/vehicle/{vin}/remote/schedules": (
        "Klimatisierungszeitpläne",
        "Connected-Services-Center öffnen",
    ),
    "/vehicle/{vin}/no-such-page": ("Seite nicht gefunden", "Zurück zu Meine Garage"),
}
_ENGLISH_NAVIGATION = (
    "My Garage",
    "Add a car",
    "Connected Services Centre",
    "Find my car",
    "Subscriptions",
    "Privacy mode",
    "Prepare to sell",
    "Remove from my garage",
    "Vehicle status",
    "Trips and driving scores",
    "Invoices",
    "Add a card",
    "Sign out",
    "Skip to content",
    "Notifications",
    "Support",
    "Account",
    "Vehicle",
    "Map",
    "Remote control",
    "Lock",
    "Unlock",
    "Start climate",
    "Climate schedules",
    "Open the Connected Services Centre",
    "Page not found",
    "Back to My Garage",
)


_NAVIGATION = re.compile(
    r"<(title|nav|a|button|h1|label|legend|summary)\b[^>]*>(.*?)</\1>|aria-label=\"([^\"]*)\"",
    re.S,
)


def _navigation_of(html: str) -> str:
    """The words a page navigates with: its title, menus, links, buttons, heading, form labels
    and accessible names (not what the car's service catalogue names, which is its data)."""
    return " ".join(text_of(match[1] or match[2]) for match in _NAVIGATION.findall(html))


async def test_a_german_owner_reads_the_car_pages_in_german(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    """My Garage, the car's dashboard, the Map, the Services Centre, Subscriptions and the
    Wallet speak the owner's language, navigation included; the first delivery day is written
    the German way."""
    clock.set(MOMENT)
    owner = await _owner(runtime, language="de", zone="Europe/Berlin")
    vin = await make_vehicle(runtime, first_delivery_date=date(2025, 6, 1))
    await link(runtime, owner, vin, primary=True)
    activated = await client.post(  # the standard services, so no tile shows a refusal
        f"/api/v1/vehicles/{vin}/services/activate",
        json={"packages": ["standard"], "accept": ACCEPT_DE},
        headers=await bearer_for(runtime, owner),
    )
    assert activated.status_code == 200, activated.text
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    for path, words in _GERMAN_WORDS.items():
        page = await client.get(path.format(vin=vin))
        assert page.status_code == (404 if "no-such-page" in path else 200), (path, page.text)
        assert '<html lang="de">' in page.text, path
        text = text_of(page.text)
        for word in words:
            assert word in text, (path, word)
        navigation = _navigation_of(page.text)
        left = [e for e in _ENGLISH_NAVIGATION if re.search(rf"(?<![\w-]){e}(?![\w-])", navigation)]
        assert left == [], (path, left)
    car = text_of((await client.get(f"/vehicle/{vin}")).text)
    assert "01.06.2025" in car  # not "01 Jun 2025"


# The same pages for a French and a Dutch owner: words each must show in the language, and none
# of the English navigation above (before, the catalogues held English copies for these two).
_WORDS = {
    "fr": {
        "/vehicle": ("Mon garage", "Principal", "Ajouter une voiture"),
        "/vehicle/{vin}": ("Dernier trajet", "Trajets et notes de conduite", "Préparer la vente"),
        "/map": ("Carte", "Trouver ma voiture", "Trajets récents sur la carte"),
        "/vehicle/{vin}/services": ("Centre des services connectés", "Packs", "Activer"),
        "/vehicle/{vin}/subscriptions": ("Abonnements", "Factures", "Inactif"),
        "/wallet": ("Votre carte principale paie tous les abonnements", "Ajouter une carte"),
        "/vehicle/{vin}/remote": ("Commande à distance", "Verrouiller", "Non disponible"),
    },
    "nl": {
        "/vehicle": ("Mijn garage", "Hoofdaccount", "Auto toevoegen"),
        "/vehicle/{vin}": ("Laatste rit", "Ritten en rijscores", "Verkoop voorbereiden"),
        "/map": ("Kaart", "Mijn auto vinden", "Recente ritten op de kaart"),
        "/vehicle/{vin}/services": ("Connected Services-centrum", "Pakketten", "Activeren"),
        "/vehicle/{vin}/subscriptions": ("Abonnementen", "Facturen", "Niet actief"),
        "/wallet": ("Uw hoofdkaart betaalt elk abonnement", "Kaart toevoegen"),
        "/vehicle/{vin}/remote": ("Bediening op afstand", "Vergrendelen", "Niet beschikbaar"),
    },
}


@pytest.mark.parametrize("language", sorted(_WORDS))
async def test_a_french_or_dutch_owner_reads_the_car_pages_in_their_language(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, language: str
) -> None:
    clock.set(MOMENT)
    owner = await _owner(runtime, language=language, zone="Europe/Brussels")  # a car sold in DE
    vin = await make_vehicle(runtime, first_delivery_date=date(2025, 6, 1))
    await link(runtime, owner, vin, primary=True)
    activated = await client.post(
        f"/api/v1/vehicles/{vin}/services/activate",
        json={"packages": ["standard"], "accept": ACCEPT_DE},
        headers=await bearer_for(runtime, owner),
    )
    assert activated.status_code == 200, activated.text
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    for path, words in _WORDS[language].items():
        page = await client.get(path.format(vin=vin))
        assert page.status_code == 200, (path, page.text)
        assert f'<html lang="{language}">' in page.text, path
        text = text_of(page.text)
        missing = [word for word in words if word not in text]
        assert missing == [], (path, missing)
        navigation = _navigation_of(page.text)
        same = catalogues.SAME_AS_ENGLISH[language]  # French writes "Notifications" too
        english = [e for e in _ENGLISH_NAVIGATION if e not in same]
        left = [e for e in english if re.search(rf"(?<![\w-]){e}(?![\w-])", navigation)]
        assert left == [], (path, left)


def test_the_remote_words_the_pages_mark_are_the_domains_own() -> None:
    """The remote domain writes its command names and refusal messages in English; the pages
    translate them through copies marked for the catalogue. A sentence changed in the domain
    and not here would fall out of the catalogue and show in English: this fails first."""
    assert remote_pages.TITLES == remote_service.TITLES
    assert remote_pages.REFUSALS == preconditions.MESSAGES
    ids = {message.id for message in catalogues.extract() if message.id}
    assert set(preconditions.MESSAGES.values()) <= ids
    assert set(remote_service.TITLES.values()) <= ids


def test_the_safety_and_trips_sentences_the_pages_mark_are_the_domains_own() -> None:
    """Likewise the safety light meanings, case titles and outcomes, and the trips' reasons a
    trip is missing or rebuilt, which the car page, Safety and Trips show (before, in English
    to every reader: they were in no catalogue)."""
    assert {k: text for k, (text, _) in safety_rules.LIGHTS.items()} == domain_words.LIGHT_MEANINGS
    assert domain_words.UNKNOWN_LIGHT == safety_rules.UNKNOWN_LIGHT
    assert domain_words.CASE_TITLES == safety_rules.CASE_TITLES
    assert domain_words.OUTCOMES == safety_rules.OUTCOMES
    assert domain_words.NOT_SAVED_EXPLANATIONS == trip_views.NOT_SAVED_EXPLANATIONS
    assert {
        reason.code: reason.message for reason in trip_views.OTHER_MISSING_REASONS
    } == domain_words.OTHER_MISSING_REASONS
    assert domain_words.REBUILT_EXPLANATION == trip_views.REBUILT_EXPLANATION
    german = catalogues.read("de")
    assert german[safety_rules.UNKNOWN_LIGHT].string == (
        "Das Fahrzeug hat sein Notrufsystem noch nicht gemeldet."
    )


def test_the_erasure_preview_and_rights_refusals_the_pages_mark_are_the_domains_own() -> None:
    """The erasure page shows the preview's fixed lines (what is erased, the kept groups and
    exactly what stays) and the export and erasure refusals as its own sentences: each copy
    marked for the catalogue is the domain's sentence, so none can drift back to English."""
    assert tuple((item.what, item.detail) for item in erasure_rules.ERASED) == domain_words.ERASED
    assert (domain_words.ERASED_CARS, domain_words.ERASED_CARDS) == (
        erasure_rules.CARS,
        erasure_rules.CARDS,
    )
    assert tuple((what, stays) for what, _, stays in erasure_rules.KEPT_GROUPS) == domain_words.KEPT
    refusals = (
        accounts_errors.WrongPassword(),
        rights_errors.ExportInProgress(uuid.uuid4()),
        rights_errors.ExportNotReady("queued"),
        rights_errors.ExportNotReady("failed"),
        rights_errors.ExportExpired(),
        rights_errors.ErasureNotRequested(),
        rights_errors.ErasureUnderWay(),
    )
    assert tuple(refusal.detail for refusal in refusals) == domain_words.RIGHTS_REFUSALS
    ids = {message.id for message in catalogues.extract() if message.id}
    assert {what for what, _ in domain_words.ERASED + domain_words.KEPT} <= ids
    assert set(domain_words.RIGHTS_REFUSALS) <= ids


async def test_a_german_owner_reads_the_export_and_erasure_pages_in_german(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, worker: Worker
) -> None:
    """The privacy portal's links, the export page (its request, the ready export with its
    date in the owner's zone, a wrong password) and the erasure page (the preview with the
    domain's lines, the request and the grace period) in German, with no English page words."""
    clock.set(MOMENT)
    owner = await _owner(runtime, language="de", zone="Europe/Berlin")
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    portal = (await client.get("/account/privacy")).text
    assert "Kopie Ihrer Daten herunterladen" in portal
    assert "Mein Konto löschen" in portal

    asked = await post_form(client, "/privacy/export", "/privacy/export", {})
    assert asked.status_code == 303
    made = (await client.get(asked.headers["location"])).text
    assert "Wir erstellen Ihren Export." in made
    assert "Ihr Export wird erstellt." in made
    await worker.run_due()
    page = (await client.get("/privacy/export")).text
    assert "Ihre Daten herunterladen" in page
    assert "Angefordert am 07.01.2027, 14:05 MEZ" in page
    assert "Sie haben dann 7 Tage Zeit" in page
    assert "Ihr Passwort (zur Bestätigung, dass Sie es sind)" in page
    action = re.search(r'action="(/privacy/export/[0-9a-f-]{36}/download)"', page)
    assert action is not None
    wrong = await post_form(client, "/privacy/export", action.group(1), {"password": "not it"})
    assert wrong.status_code == 403
    assert "Geben Sie Ihr aktuelles Passwort ein." in wrong.text
    for english in ("Download your data", "Ask for a copy", "Your exports", "Asked for", "ready"):
        assert english not in text_of(page), english

    erasure = (await client.get("/account/privacy/erasure")).text
    for german in (
        "Was gelöscht wird",
        "Was aufbewahrt wird, und warum",
        "Ihr Profil",  # the domain's preview lines
        "Rechnungen und Gutschriften",
        "Mein Konto nach 7 Tagen löschen",
        "Mein Konto behalten",
    ):
        assert german in erasure, german
    for english in ("What is erased", "Your profile", "Keep my account", "Erase my account"):
        assert english not in text_of(erasure), english
    requested = await post_form(
        client,
        "/account/privacy/erasure",
        "/account/privacy/erasure",
        {"password": DEFAULT_PASSWORD},
    )
    assert requested.status_code == 303
    grace = (await client.get(requested.headers["location"])).text
    assert "Ihr Konto wird gelöscht, wenn die Bedenkzeit endet." in grace
    assert "Sie haben es am 07.01.2027, 14:05 MEZ beantragt." in grace
    assert "<strong>14.01.2027, 14:05 MEZ</strong>" in grace
    assert "Löschung abbrechen und Konto behalten" in grace


async def test_the_live_remote_view_gets_its_words_in_the_owners_language(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    """remote.js writes states, command names, refusal reasons and renewals left from the
    panel's ``data-words``: in German for a German owner, never the script's English."""
    clock.set(MOMENT)
    owner = await _owner(runtime, language="de", zone="Europe/Berlin")
    vin = await make_vehicle(runtime, first_delivery_date=date(2025, 6, 1))
    await link(runtime, owner, vin, primary=True)
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    page = (await client.get(f"/vehicle/{vin}/remote")).text
    found = re.search(r'data-words="([^"]*)"', page)
    assert found is not None
    words = json.loads(html.unescape(found.group(1)))
    assert words["states"]["expired"] == "Das Fahrzeug hat nicht geantwortet"
    assert words["titles"]["door-unlock"] == "Entriegelung"
    assert words["reasons"]["door_open"].startswith("Eine Tür, der Kofferraum")
    assert words["renewals"][1] == "(noch 1 Verlängerung)"
    assert words["renewals"][2] == "(noch 2 Verlängerungen)"
    assert words["progress"] == "Fortschritt"


@pytest.mark.parametrize(
    ("header", "expected", "lang"),
    [
        ("nl-BE,nl;q=0.9,en;q=0.5", "Inloggen", "nl"),
        ("es-ES, fr;q=0.7", "Se connecter", "fr"),
        ("ja", "Sign in", "en"),
    ],
)
async def test_a_visitor_without_an_account_reads_the_browsers_language(
    client: httpx.AsyncClient, header: str, expected: str, lang: str
) -> None:
    page = await client.get("/signin", headers={"Accept-Language": header})
    assert page.status_code == 200
    assert f"<h1>{expected}</h1>" in page.text
    assert f'<html lang="{lang}">' in page.text


async def test_pages_nobody_translates_stay_english_for_a_german_browser(
    client: httpx.AsyncClient,
) -> None:
    """The staff console is English only: its dates must not turn German with the browser."""
    page = await client.get("/console/signin", headers={"Accept-Language": "de-DE"})
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert (
        '<html lang="de">'
        in (await client.get("/signin", headers={"Accept-Language": "de-DE"})).text
    )


async def test_english_readers_of_a_german_edition_see_the_documents_english_titles(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The German market has its documents in German only; an English-speaking owner there reads
    the German text under the English title, as the interface is English."""
    owner = await _owner(runtime, language="en", zone="Europe/Berlin")
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    portal = (await client.get("/account/privacy")).text
    assert ">Terms of Use</h2>" in portal
    assert ">Privacy Notice</h2>" in portal
    assert "Nutzungsbedingungen" not in portal
    document = (await client.get("/account/privacy/terms_of_use")).text
    assert "<h1>Terms of Use</h1>" in document
    assert '<article class="card document-text" lang="de">' in document


async def test_a_dutch_reader_sees_the_dutch_title(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await _owner(runtime, language="nl", zone="Europe/Berlin")
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    portal = (await client.get("/account/privacy")).text
    assert ">Gebruiksvoorwaarden</h2>" in portal
    assert "Privacyportaal" in portal


# --- the time zone in the forms ----------------------------------------------------------------


def _signup(email: str, **extra: str) -> dict[str, str]:
    return {
        "first_name": "Robin",
        "last_name": "Roads",
        "email": email,
        "password": "the road goes ever on",
        "country": "BE",
        "language": "nl",
        "phone": "",
        **extra,
    }


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ({"time_zone": "America/Toronto"}, "America/Toronto"),  # what time-zone.js put there
        ({"time_zone": "Not/A_Zone"}, "Europe/Brussels"),  # unknown: the country's
        ({}, "Europe/Brussels"),  # no script: the country's
    ],
)
async def test_sign_up_takes_the_browsers_zone_else_the_countrys(
    client: httpx.AsyncClient, runtime: Runtime, sent: dict[str, str], stored: str
) -> None:
    email = f"zone-{len(sent)}-{stored.replace('/', '-').lower()}@example.com"
    answer = await post_form(client, "/signup", "/signup", _signup(email, **sent))
    assert answer.status_code == 303, answer.text
    async with runtime.db.transaction() as session:
        account = (
            await session.execute(select(Account).where(Account.email == email))
        ).scalar_one()
    assert account.time_zone == stored


async def test_the_sign_up_page_loads_the_zone_script_and_no_inline_script(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/signup")).text
    assert '<script src="/static/time-zone.js" defer></script>' in page
    assert '<input type="hidden" name="time_zone" value="" data-browser-time-zone>' in page
    assert "<script>" not in page
    script = await client.get("/static/time-zone.js")
    assert script.status_code == 200
    assert "resolvedOptions().timeZone" in script.text


async def test_the_account_page_sets_the_zone_and_refuses_a_wrong_one(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    clock.set(MOMENT)
    owner = await _owner(runtime, language="en", zone="UTC")
    await _notify(runtime, owner, "Hello")
    await sign_in(client, owner.email, DEFAULT_PASSWORD)
    page = await client.get("/account")
    assert '<option value="UTC" selected>' in page.text
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in page.text
    profile = {
        "first_name": "Alex",
        "last_name": "Driver",
        "phone": "",
        "country": "DE",
        "language": "en",
        "csrf_token": csrf_in(page.text),
    }
    wrong = await client.post("/account/profile", data={**profile, "time_zone": "Asia/Atlantis"})
    assert wrong.status_code == 422
    assert "Use a time zone name such as Europe/Berlin or UTC." in wrong.text
    saved = await client.post("/account/profile", data={**profile, "time_zone": "Asia/Tokyo"})
    assert saved.headers["location"] == "/account?done=profile_saved"
    assert '<option value="Asia/Tokyo" selected>' in (await client.get("/account")).text
    assert "7 Jan 2027, 22:05 +0900" in (await client.get("/notifications")).text


# --- in a real browser -------------------------------------------------------------------------

SHOTS = Path(os.environ.get("LINKPLUS_SCREENSHOTS", "/tmp/linkplus-i18n-screenshots"))


@pytest.mark.browser
async def test_a_browser_in_toronto_speaking_german_signs_up_in_german_with_its_zone(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """Chromium set to German and Toronto: the sign-up page is German, time-zone.js (a static
    file, allowed by the CSP) puts the browser's zone in the form, the account keeps it."""
    require_chromium()
    email = "toronto@example.com"
    async with async_playwright_browser() as browser:
        context = await browser.new_context(
            viewport=PHONE, locale="de-DE", timezone_id="America/Toronto"
        )
        page = await context.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text))
        await page.goto(f"{live_server.url}/signup")
        await expect(page.get_by_role("heading", name="Konto anlegen")).to_be_visible()
        zone_field = page.locator("input[name=time_zone]")
        await expect(zone_field).to_have_value("America/Toronto")
        await page.get_by_label("Vorname").fill("Robin")
        await page.get_by_label("Nachname").fill("Roads")
        await page.get_by_label("E-Mail-Adresse").fill(email)
        await page.get_by_label("Passwort").fill("a long walk by the river")
        await page.get_by_label("Land").select_option("DE")
        await page.get_by_label("Sprache").select_option("de")
        shot = tmp_path / "signup-de.png"
        await page.screenshot(path=str(shot), full_page=True)
        assert keep_copy(shot, SHOTS / "i18n-signup-de.png").startswith(b"\x89PNG")
        await submit(page, "Konto anlegen")
        await expect(page.get_by_role("heading", name="Sehen Sie in Ihre E-Mails")).to_be_visible()
        assert not [text for text in problems if "Content Security Policy" in text]
        await context.close()
    async with live_server.runtime.db.transaction() as session:
        account = (
            await session.execute(select(Account).where(Account.email == email))
        ).scalar_one()
    assert (account.time_zone, account.language) == ("America/Toronto", "de")
