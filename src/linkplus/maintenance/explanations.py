"""Each warning light and trouble code in the owner's words: what it means, how serious it is,
what to do now. Pure: read from the texts in ``data/`` once.

A light the table does not know (a newer car) and a code it does not list still get an
explanation: the light by its name, the code by its system letter (SAE J2012) and whether it is
a generic code or the maker's own.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any


class Severity(StrEnum):
    stop = "stop"  # stop safely now
    soon = "soon"  # see a workshop within days
    info = "info"  # nothing urgent

    @property
    def rank(self) -> int:
        return {"stop": 0, "soon": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Explanation:
    code: str
    title: str
    meaning: str
    severity: Severity
    action: str


def _load(name: str) -> dict[str, Any]:
    text = resources.files("linkplus.maintenance").joinpath("data", name).read_text("utf-8")
    return tomllib.loads(text)


@cache
def _lights() -> dict[str, Explanation]:
    return {
        code: Explanation(code, e["title"], e["meaning"], Severity(e["severity"]), e["action"])
        for code, e in _load("warnings.toml")["lights"].items()
    }


@cache
def _codes() -> tuple[dict[str, Explanation], dict[str, dict[str, str]]]:
    data = _load("trouble_codes.toml")
    known = {
        code: Explanation(code, e["title"], e["meaning"], Severity(e["severity"]), e["action"])
        for code, e in data["codes"].items()
    }
    return known, data["systems"]


def light(code: str) -> Explanation:
    known = _lights().get(code)
    if known is not None:
        return known
    words = code.replace("_", " ")
    return Explanation(
        code,
        f"Warning light: {words}",
        "The car shows a warning light this app does not know yet.",
        Severity.soon,
        "Look it up in the owner's manual and have the car checked if you are unsure.",
    )


def trouble_code(code: str) -> Explanation:
    known, systems = _codes()
    if code in known:
        return known[code]
    system = systems.get(code[:1])
    if system is None:
        return Explanation(
            code,
            f"Trouble code {code}",
            "The car stored a trouble code.",
            Severity.soon,
            "Have the car checked; the workshop reads the detail.",
        )
    origin = "a generic code" if code[1:2] in ("0", "2") else "a code of the car's maker"
    return Explanation(
        code,
        f"Trouble code {code}",
        f"A fault in {system['name']} ({origin}); the workshop reads the detail.",
        Severity(system["severity"]),
        system["action"],
    )


def known_lights() -> list[str]:
    return sorted(_lights())
