"""The security e-mails the accounts domain sends: subject and plain text, nothing else.

Each one says what happened and what to do if it was not the reader, because these mails are
most useful exactly when someone else is acting on the account.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str


_NOT_YOU = (
    "If this was not you, reset your password now: {public_url}/reset-password\n"
    "and contact support."
)


def activation(first_name: str, link: str, hours: int) -> Mail:
    return Mail(
        "Confirm your e-mail address for linkplus",
        f"Hello {first_name},\n\n"
        f"open this link to confirm your address and activate your account:\n\n{link}\n\n"
        f"The link works once and for {hours} hours. If you did not create a linkplus account, "
        "ignore this message: without confirmation the account stays inactive.\n",
    )


def already_registered(first_name: str, public_url: str) -> Mail:
    return Mail(
        "Someone tried to register with your address",
        f"Hello {first_name},\n\n"
        "someone just tried to create a new linkplus account with this e-mail address, which "
        "already has an account.\n\n"
        f"If it was you, sign in: {public_url}/signin\n"
        f"or, if you forgot your password, reset it: {public_url}/reset-password\n\n"
        "If it was not you, you do not need to do anything: no second account was created.\n",
    )


def password_reset(first_name: str, link: str, minutes: int) -> Mail:
    return Mail(
        "Reset your linkplus password",
        f"Hello {first_name},\n\n"
        f"open this link to choose a new password:\n\n{link}\n\n"
        f"The link works once and for {minutes} minutes. Choosing a new password signs you out "
        "on every device.\n"
        "If you did not ask for this, ignore this message; your password stays as it is.\n",
    )


def password_changed(first_name: str, public_url: str, *, by_reset: bool) -> Mail:
    how = "reset with an e-mailed link" if by_reset else "changed in your account settings"
    where = (
        "You have been signed out on every device."
        if by_reset
        else "Every other device has been signed out."
    )
    return Mail(
        "Your linkplus password was changed",
        f"Hello {first_name},\n\nthe password of your linkplus account was {how}. {where}\n\n"
        + _NOT_YOU.format(public_url=public_url)
        + "\n",
    )


def email_change_confirm(first_name: str, link: str, hours: int) -> Mail:
    return Mail(
        "Confirm your new e-mail address for linkplus",
        f"Hello {first_name},\n\n"
        "you asked to use this address to sign in to linkplus. Open this link to confirm it:\n\n"
        f"{link}\n\nThe link works once and for {hours} hours. If you did not ask for this, "
        "ignore this message.\n",
    )


def email_change_requested(first_name: str, new_email: str, public_url: str) -> Mail:
    return Mail(
        "A change of your sign-in address was requested",
        f"Hello {first_name},\n\n"
        f"someone signed in to your linkplus account asked to change its e-mail address to "
        f"{new_email}. Nothing changes until the new address is confirmed.\n\n"
        + _NOT_YOU.format(public_url=public_url)
        + "\n",
    )


def email_changed(first_name: str, new_email: str, public_url: str) -> Mail:
    return Mail(
        "Your linkplus sign-in address was changed",
        f"Hello {first_name},\n\n"
        f"your linkplus account now signs in with {new_email}; this address is no longer used "
        "for it.\n\n" + _NOT_YOU.format(public_url=public_url) + "\n",
    )


def address_in_use(public_url: str) -> Mail:
    return Mail(
        "Someone tried to use your address for another linkplus account",
        "Hello,\n\n"
        "someone signed in to another linkplus account asked to change its e-mail address to "
        "this one. This address already belongs to your account, so nothing was changed.\n\n"
        f"If you want to check your account, sign in: {public_url}/signin\n",
    )
