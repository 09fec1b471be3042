"""Consents to the legal documents (the Data Privacy Portal) and each car's privacy mode.

An acceptance counts for the exact edition and version an account is shown now: when a market
publishes a new version, or the account moves to another country, the account has to accept
again before anything new can be activated. Withdrawing is always possible and is kept as a
timestamp on the acceptance, so the history shows both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.events import publish
from linkplus.kit.spans import Span
from linkplus.models.accounts import Account
from linkplus.models.privacy import (
    Consent,
    ConsentChannel,
    DocumentKind,
    LocationHold,
    LocationPurpose,
    PrivacyModeChange,
    PrivacyModeSource,
)
from linkplus.privacy import repository
from linkplus.privacy.documents import LegalDocument, library
from linkplus.privacy.errors import (
    DocumentNotFound,
    DocumentVersionOutdated,
    InvalidChannel,
    InvalidPrivacyModeSource,
)
from linkplus.privacy.events import TermsOfUseWithdrawn
from linkplus.privacy.schemas import (
    ConsentIn,
    ConsentOut,
    DocumentOut,
    DocumentStateOut,
    PrivacyModeChangeOut,
    PrivacyModeIn,
    PrivacyModeOut,
)
from linkplus.runtime import Runtime

HISTORY_PAGE = 500


# --- legal documents and consents ------------------------------------------------------------


def title_for(document: DocumentKind, language: str, *, fallback: str) -> str:
    """A legal document's title in the reader's ``language`` where it has been translated
    (an English reader of the German edition sees "Terms of Use"); else ``fallback``, the
    edition's own title."""
    return library().title(document, language) or fallback


def current_documents(country: str, language: str) -> list[LegalDocument]:
    """The Terms of Use and Privacy Notice an account in ``country``/``language`` must accept."""
    return library().current_documents(country, language)


def current_versions(account: Account) -> dict[str, str]:
    """``{"terms_of_use": "2.0", "privacy_notice": "1.0"}`` for the account's market."""
    return {
        d.document.value: d.version for d in current_documents(account.country, account.language)
    }


def _kind(document: str) -> DocumentKind:
    try:
        return DocumentKind(document)
    except ValueError as exc:
        raise DocumentNotFound(document) from exc


def _counts_for(consent: Consent, document: LegalDocument) -> bool:
    return (
        consent.document == document.document.value
        and consent.country == document.country
        and consent.language == document.language
        and consent.version == document.version
    )


async def documents_for(session: AsyncSession, account: Account) -> list[DocumentStateOut]:
    standing = await repository.standing_consents(session, account.id)
    states = []
    for document in current_documents(account.country, account.language):
        mine = [c for c in standing if c.document == document.document.value]
        accepted = any(_counts_for(c, document) for c in mine)
        latest = mine[0] if mine else None
        states.append(
            DocumentStateOut(
                document=document.document,
                title=title_for(document.document, account.language, fallback=document.title),
                version=document.version,
                country=document.country,
                language=document.language,
                effective_from=document.effective_from,
                accepted=accepted,
                accepted_version=latest.version if latest else None,
                accepted_at=latest.accepted_at if latest else None,
                newer_version_to_accept=latest is not None and not accepted,
            )
        )
    return states


def document_for(account: Account, document: str) -> DocumentOut:
    """The full text of the current version the account is asked to accept."""
    current = library().current(_kind(document), account.country, account.language)
    return DocumentOut(
        document=current.document,
        title=title_for(current.document, account.language, fallback=current.title),
        version=current.version,
        country=current.country,
        language=current.language,
        effective_from=current.effective_from,
        text=current.text,
    )


async def consent_history(session: AsyncSession, account: Account) -> list[ConsentOut]:
    return [
        ConsentOut(
            id=c.id,
            document=DocumentKind(c.document),
            version=c.version,
            country=c.country,
            language=c.language,
            accepted_at=c.accepted_at,
            channel=ConsentChannel(c.channel),
            withdrawn_at=c.withdrawn_at,
        )
        for c in await repository.consents(session, account.id)
    ]


async def accepted_current(session: AsyncSession, account: Account) -> bool:
    """True when the current Terms of Use and Privacy Notice are both accepted, not withdrawn."""
    standing = await repository.standing_consents(session, account.id)
    return all(
        any(_counts_for(c, document) for c in standing)
        for document in current_documents(account.country, account.language)
    )


async def has_standing_consent(
    session: AsyncSession, *, account_id: uuid.UUID, document: DocumentKind
) -> bool:
    """Whether any version of ``document`` is accepted and not withdrawn (any edition)."""
    standing = await repository.standing_consents(session, account_id)
    return any(c.document == document.value for c in standing)


async def accept(
    session: AsyncSession,
    runtime: Runtime,
    account: Account,
    *,
    versions: dict[str, str],
    channel: str,
) -> None:
    """Record acceptance of the given versions; only the current version of each can be accepted.

    Accepting a version that is already accepted (and not withdrawn) records nothing new.
    """
    try:
        via = ConsentChannel(channel)
    except ValueError as exc:
        raise InvalidChannel(channel) from exc
    chosen = []
    for name, version in versions.items():
        current = library().current(_kind(name), account.country, account.language)
        if version != current.version:
            raise DocumentVersionOutdated(name, version, current.version)
        chosen.append(current)
    now = runtime.clock.now()
    standing = await repository.standing_consents(session, account.id)
    for document in chosen:
        if any(_counts_for(c, document) for c in standing):
            continue
        await repository.add(
            session,
            Consent(
                account_id=account.id,
                document=document.document.value,
                country=document.country,
                language=document.language,
                version=document.version,
                accepted_at=now,
                channel=via.value,
            ),
        )
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(account.id),
            action="consent.accepted",
            subject_type="account",
            subject_id=str(account.id),
            details={
                "document": document.document.value,
                "version": document.version,
                "country": document.country,
                "language": document.language,
                "channel": via.value,
            },
        )


async def record_consent(
    session: AsyncSession, runtime: Runtime, account: Account, data: ConsentIn
) -> list[DocumentStateOut]:
    """The portal's "accept": one document at a time; answers with the updated overview."""
    await accept(
        session,
        runtime,
        account,
        versions={data.document.value: data.version},
        channel=data.channel.value,
    )
    return await documents_for(session, account)


async def withdraw(
    session: AsyncSession, runtime: Runtime, account: Account, *, document: str
) -> None:
    """Withdraw every standing acceptance of ``document``; a no-op when there is none.

    Withdrawing the Terms of Use publishes ``TermsOfUseWithdrawn``: the services domain stops the
    account's connected services in a job.
    """
    kind = _kind(document)
    now = runtime.clock.now()
    withdrawn = await repository.withdraw(
        session, account_id=account.id, document=kind.value, now=now
    )
    if not withdrawn:
        return
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="consent.withdrawn",
        subject_type="account",
        subject_id=str(account.id),
        details={"document": kind.value, "versions": sorted({c.version for c in withdrawn})},
    )
    if kind is DocumentKind.terms_of_use:
        await publish(session, TermsOfUseWithdrawn(account_id=account.id), now=now)


# --- privacy mode ----------------------------------------------------------------------------


async def location_shared_at(session: AsyncSession, *, vin: str, at: datetime) -> bool:
    """Whether the car shared its location at ``at``: the latest change at or before it decides.

    A car whose owner never changed anything shares its location (the default of the cars).
    """
    change = await repository.privacy_change_at(session, vin=vin, at=at)
    return True if change is None else change.location_sharing


async def set_location_sharing(
    session: AsyncSession,
    runtime: Runtime,
    *,
    vin: str,
    sharing: bool,
    source: str,
    account_id: uuid.UUID | None,
    at: datetime,
) -> None:
    """Record a switch of location sharing, from the app or reported by the car.

    A report that repeats the state already in force at ``at`` is not a change and is not stored,
    so a car re-sending its setting does not fill the history. Late reports (``at`` before the
    newest change) are stored in their place in time.
    """
    try:
        origin = PrivacyModeSource(source)
    except ValueError as exc:
        raise InvalidPrivacyModeSource(source) from exc
    if await location_shared_at(session, vin=vin, at=at) == sharing:
        return
    await repository.add(
        session,
        PrivacyModeChange(
            vin=vin,
            location_sharing=sharing,
            changed_at=at,
            source=origin.value,
            account_id=account_id,
        ),
    )
    await audit.record(
        session,
        now=runtime.clock.now(),
        actor_type="owner" if account_id is not None else "vehicle",
        actor_id=str(account_id) if account_id is not None else vin,
        action="privacy_mode.changed",
        subject_type="vehicle",
        subject_id=vin,
        details={
            "location_sharing": sharing,
            "source": origin.value,
            "changed_at": at.isoformat(),
        },
    )


async def privacy_mode(session: AsyncSession, *, vin: str, spans: Sequence[Span]) -> PrivacyModeOut:
    """The setting in force. ``spans``: the reader's time with the car; a change made before it
    (by a previous owner) gives the setting without when and how it was made."""
    latest = await repository.latest_privacy_change(session, vin=vin)
    sharing = True if latest is None else latest.location_sharing
    own = latest is not None and any(span.covers(latest.changed_at) for span in spans)
    return PrivacyModeOut(
        vin=vin,
        location_sharing=sharing,
        privacy_mode=not sharing,
        changed_at=latest.changed_at if latest and own else None,
        source=PrivacyModeSource(latest.source) if latest and own else None,
    )


async def change_privacy_mode(
    session: AsyncSession, runtime: Runtime, *, vin: str, account_id: uuid.UUID, data: PrivacyModeIn
) -> PrivacyModeOut:
    """The owner switches location sharing in the app; answers with the state now in force."""
    now = runtime.clock.now()
    await set_location_sharing(
        session,
        runtime,
        vin=vin,
        sharing=data.location_sharing,
        source=PrivacyModeSource.app.value,
        account_id=account_id,
        at=now,
    )
    # The change just made is the caller's own: the answer shows when and how it was made.
    return await privacy_mode(session, vin=vin, spans=(Span(now),))


async def privacy_mode_history(
    session: AsyncSession,
    *,
    vin: str,
    spans: Sequence[Span],
    before: datetime | None = None,
    limit: int = HISTORY_PAGE,
) -> list[PrivacyModeChangeOut]:
    """Changes newest first, a page at a time (``before``: the oldest ``changed_at`` seen),
    only those made in ``spans`` (the reader's time with the car)."""
    if before is not None and before.tzinfo is None:
        before = before.replace(tzinfo=UTC)
    return [
        PrivacyModeChangeOut(
            location_sharing=c.location_sharing,
            changed_at=c.changed_at,
            source=PrivacyModeSource(c.source),
        )
        for c in await repository.privacy_history(
            session, vin=vin, spans=spans, before=before, limit=max(1, min(limit, HISTORY_PAGE))
        )
    ]


async def latest_location_sharing(
    session: AsyncSession, vins: Iterable[str]
) -> dict[str, tuple[datetime, bool]]:
    """The latest privacy-mode change per car (time, sharing on?) for many cars at once: the
    vehicle gateway judges a whole batch of positions with one query. Cars that never changed
    are absent: they share their location."""
    return await repository.latest_location_sharing(session, vins)


# --- purposes that need the location whatever the privacy mode --------------------------------


@dataclass(frozen=True)
class Hold:
    vin: str
    purpose: LocationPurpose
    reference: str
    started_at: datetime
    ended_at: datetime | None

    def covers(self, at: datetime) -> bool:
        return self.started_at <= at and (self.ended_at is None or at < self.ended_at)


async def hold_location(
    session: AsyncSession,
    runtime: Runtime,
    *,
    vin: str,
    purpose: LocationPurpose,
    reference: str,
    at: datetime,
) -> None:
    """From ``at`` on, keep the car's positions for ``purpose`` (an emergency case, a theft),
    whatever its privacy mode, until ``release_location``. Positions kept this way belong to
    the case named by ``reference`` and never reach the owner's views. Holding twice is one
    hold."""
    if await repository.open_hold(session, vin=vin, purpose=purpose.value, reference=reference):
        return
    await repository.add(
        session,
        LocationHold(vin=vin, purpose=purpose.value, reference=reference, started_at=at),
    )
    await audit.record(
        session,
        now=runtime.clock.now(),
        actor_type="system",
        actor_id=None,
        action="location_hold.started",
        subject_type="vehicle",
        subject_id=vin,
        details={"purpose": purpose.value, "reference": reference, "from": at.isoformat()},
    )


async def release_location(
    session: AsyncSession, runtime: Runtime, *, vin: str, reference: str, at: datetime
) -> None:
    """End the holds of ``reference``: from ``at`` the privacy mode alone decides again."""
    if await repository.end_holds(session, reference=reference, at=at):
        await audit.record(
            session,
            now=runtime.clock.now(),
            actor_type="system",
            actor_id=None,
            action="location_hold.ended",
            subject_type="vehicle",
            subject_id=vin,
            details={"reference": reference, "until": at.isoformat()},
        )


async def holds_for(
    session: AsyncSession, vins: Iterable[str], *, since: datetime
) -> dict[str, list[Hold]]:
    """Per car, the holds running or ended after ``since`` (one query for a gateway batch)."""
    found: dict[str, list[Hold]] = {}
    for row in await repository.holds_since(session, vins, since=since):
        found.setdefault(row.vin, []).append(
            Hold(
                vin=row.vin,
                purpose=LocationPurpose(row.purpose),
                reference=row.reference,
                started_at=row.started_at,
                ended_at=row.ended_at,
            )
        )
    return found


async def held_for(
    session: AsyncSession, *, vin: str, purpose: LocationPurpose, at: datetime
) -> Hold | None:
    """The hold of ``purpose`` covering ``at`` for the car, if any."""
    for hold in (await holds_for(session, [vin], since=at)).get(vin, []):
        if hold.purpose is purpose and hold.covers(at):
            return hold
    return None
