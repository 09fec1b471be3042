"""Short text people type and others see (names, nicknames, plates): what the schema says."""

from __future__ import annotations

# Surrounding white space is trimmed; what remains has a visible character and no control
# character (C0 or DEL). The validators check exactly this; the OpenAPI states it as a pattern,
# so a value the schema allows is not refused.
SHOWN_TEXT_PATTERN = r"^\s*[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*\s*$"
