"""The owner's time zone: which names are accepted, and the default for a country.

An account keeps an IANA zone name (``Europe/Berlin``). At sign-up the browser's own zone fills
the form; without it (no script) the account's country decides. Pure: values in, values out.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

from babel.core import get_global

UTC_NAME = "UTC"
MAX_LENGTH = 64

# Countries spanning several zones: the zone most of their people live in. Elsewhere CLDR's
# first zone of the country is taken (for single-zone countries, the only one).
_MAIN_ZONE = {
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "ID": "Asia/Jakarta",
    "KZ": "Asia/Almaty",
    "MX": "America/Mexico_City",
    "NZ": "Pacific/Auckland",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
}


@cache
def zone_names() -> tuple[str, ...]:
    """Every zone an owner may choose: the IANA region/city names plus UTC (no legacy aliases
    such as ``CET`` or ``US/Pacific``, which name the same rules less clearly)."""
    names = {
        name
        for name in zoneinfo.available_timezones()
        if "/" in name
        and not name.startswith(("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/"))
        and not name.startswith(("Chile/", "posix/", "right/"))
    }
    return (UTC_NAME, *sorted(names))


def is_zone(name: str) -> bool:
    return name in _known()


@cache
def _known() -> frozenset[str]:
    return frozenset(zone_names())


def zone_for_country(country: str) -> str:
    """The default zone of an account in ``country`` (ISO 3166-1 alpha-2); UTC if none is known."""
    code = country.strip().upper()
    preferred = _MAIN_ZONE.get(code)
    if preferred is not None:
        return preferred
    candidates: list[str] = get_global("territory_zones").get(code, [])
    for name in candidates:
        if is_zone(name):
            return name
    return UTC_NAME
