"""In-app inbox, e-mail and push, with per-account preferences per category."""
