"""Append-only audit log of staff access, ownership changes, commands, consents and deletions."""
