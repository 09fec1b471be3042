"""The confirmations a page shows after a form, named in the redirect (``?done=...``).

Only these fixed sentences can appear, so a crafted link cannot put words on our pages.
"""

from __future__ import annotations

from linkplus.web.i18n import N_

NOTICES = {
    "signed_up": N_(
        "Almost done: we sent you an e-mail. Open the link in it to confirm your address."
    ),
    "activated": N_("Your e-mail address is confirmed. Sign in to continue."),
    "activation_sent": N_(
        "If that address has an account waiting for confirmation, a new link is "
        "on its way. Check your inbox (and the spam folder)."
    ),
    "reset_sent": N_(
        "If an account uses that address, we sent it a link to choose a new password. "
        "The link works for a short time only."
    ),
    "password_reset": N_("Your new password is set. Sign in with it."),
    "signed_out": N_("You are signed out."),
    "profile_saved": N_("Your profile is saved."),
    "preferences_saved": N_("Your notification settings are saved."),
    "password_changed": N_("Your password is changed. Other devices were signed out."),
    "email_change_sent": N_(
        "We sent a confirmation link to the new address. Your address changes when you open it."
    ),
    "email_changed": N_("Your new e-mail address is confirmed."),
    "all_read": N_("All notifications are marked as read."),
}


def notice_for(code: str | None) -> str | None:
    return NOTICES.get(code) if code else None
