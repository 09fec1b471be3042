"""The confirmations a page shows after a form, named in the redirect (``?done=...``).

Only these fixed sentences can appear, so a crafted link cannot put words on our pages.
"""

from __future__ import annotations

NOTICES = {
    "signed_up": "Almost done: we sent you an e-mail. Open the link in it to confirm your address.",
    "activated": "Your e-mail address is confirmed. Sign in to continue.",
    "activation_sent": "If that address has an account waiting for confirmation, a new link is "
    "on its way. Check your inbox (and the spam folder).",
    "reset_sent": "If an account uses that address, we sent it a link to choose a new password. "
    "The link works for a short time only.",
    "password_reset": "Your new password is set. Sign in with it.",
    "signed_out": "You are signed out.",
    "profile_saved": "Your profile is saved.",
    "preferences_saved": "Your notification settings are saved.",
    "password_changed": "Your password is changed. Other devices were signed out.",
    "email_change_sent": "We sent a confirmation link to the new address. Your address changes "
    "when you open it.",
    "email_changed": "Your new e-mail address is confirmed.",
    "all_read": "All notifications are marked as read.",
}


def notice_for(code: str | None) -> str | None:
    return NOTICES.get(code) if code else None
