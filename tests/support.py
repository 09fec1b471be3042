"""Plain helpers shared by every test package (the fixtures are in ``tests/conftest.py``): the
test clock's start, the mailbox a real SMTP server fills, and accounts and sign-ins made
directly in the database for tests of other domains (tests of the accounts domain itself go
through the HTTP API instead).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from linkplus.accounts.passwords import hash_password
from linkplus.auth.tokens import issue_access_token
from linkplus.models.accounts import Account, Audience, SignInSession, StaffAccount, StaffRole
from linkplus.runtime import Runtime

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
# How long the in-process payment sandbox may take to answer before a provider call counts as
# failed: far above what it needs (milliseconds), so a machine loaded by parallel workers does
# not turn into a failure. Tests of timeouts build their own impatient provider.
PROVIDER_BOUND = 30.0
DEFAULT_PASSWORD = "correct horse battery"


@dataclass
class Mailbox:
    """What a real SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no mail to {address}; got {[str(m['To']) for m in self.messages]}"
        return found[-1]

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def link_in(self, message: EmailMessage) -> str:
        match = re.search(r"https?://\S+", self.text(message))
        assert match, "no link in the message"
        return match.group(0)

    @staticmethod
    def token_in(link: str) -> str:
        match = re.search(r"[?&#]token=([A-Za-z0-9_\-]+)", link)
        assert match, f"no token in {link}"
        return match.group(1)


async def make_owner(
    runtime: Runtime,
    *,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    confirmed: bool = True,
    country: str = "DE",
    language: str = "en",  # the tests read the pages in English
) -> Account:
    now = runtime.clock.now()
    address = email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
    account = Account(
        email=address,
        email_key=address.casefold(),
        password_hash=hash_password(runtime.settings, password),
        first_name="Alex",
        last_name="Driver",
        country=country,
        language=language,
        phone=None,
        email_confirmed_at=now if confirmed else None,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    async with runtime.db.transaction() as session:
        session.add(account)
    return account


async def make_staff(
    runtime: Runtime, *, role: StaffRole = StaffRole.agent, email: str | None = None
) -> StaffAccount:
    now = runtime.clock.now()
    address = email or f"staff-{uuid.uuid4().hex[:8]}@linkplus.example"
    staff = StaffAccount(
        email=address,
        email_key=address.casefold(),
        password_hash=hash_password(runtime.settings, DEFAULT_PASSWORD),
        name="Sam Staff",
        role=role.value,
        active=True,
        created_at=now,
    )
    async with runtime.db.transaction() as session:
        session.add(staff)
    return staff


async def bearer_for(runtime: Runtime, who: Account | StaffAccount) -> dict[str, str]:
    """An Authorization header for ``who``, backed by a real sign-in session row."""
    now = runtime.clock.now()
    is_staff = isinstance(who, StaffAccount)
    sign_in = SignInSession(
        audience=(Audience.staff if is_staff else Audience.owner).value,
        account_id=None if is_staff else who.id,
        staff_id=who.id if is_staff else None,
        channel="api",
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=30),
    )
    async with runtime.db.transaction() as session:
        session.add(sign_in)
    token = issue_access_token(
        runtime.settings,
        now,
        subject=who.id,
        audience=Audience.staff if is_staff else Audience.owner,
        session_id=sign_in.id,
        role=who.role if isinstance(who, StaffAccount) else None,
    )
    return {"Authorization": f"Bearer {token}"}
