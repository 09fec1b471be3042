"""Password hashing (argon2id) and the password policy (OWASP: length, common passwords)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from linkplus.config import Settings

MIN_LENGTH = 10
MAX_LENGTH = 128


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


@cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hash_password(settings: Settings, password: str) -> str:
    return hasher(settings).hash(password)


def verify_password(settings: Settings, stored_hash: str, password: str) -> bool:
    try:
        return hasher(settings).verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(settings: Settings, stored_hash: str) -> bool:
    return hasher(settings).check_needs_rehash(stored_hash)


@cache
def dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    """A hash to verify against when the e-mail is unknown, so both answers take as long."""
    return _hasher(time_cost, memory_kib, parallelism).hash("linkplus-no-such-account")


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("linkplus.accounts").joinpath("data/common-passwords.txt").read_text()
    return frozenset(
        line.strip().casefold()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def policy_problem(password: str, *, email: str | None = None) -> str | None:
    """Why ``password`` is not acceptable, in words for the user; None when it is fine.

    No composition rules (OWASP): length, not a well-known password, not the e-mail itself.
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a short sentence is easy to remember."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if password.strip() == "":
        return "The password cannot be only spaces."
    folded = password.casefold()
    if folded in common_passwords():
        return "This password is one of the most common ones and easy to guess; choose another."
    if email and (folded == email.casefold() or folded == email.split("@")[0].casefold()):
        return "Do not use your e-mail address as your password."
    return None
