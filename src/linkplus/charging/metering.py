"""What a charger's meter values say, and what a session's energy cost. Pure.

OCPP 1.6 sends sampled values as text with an optional unit (``Wh`` by default, or ``kWh``);
2.0.1 sends numbers with a ``unitOfMeasure``. Both default the measurand to the energy register
(``Energy.Active.Import.Register``). Anything else (voltages, currents, SoC) is ignored here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from linkplus.kit.money import Money, currency_exponent

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
_SCALE = {"wh": Decimal(1), "kwh": Decimal(1000), "w": Decimal(1), "kw": Decimal(1000)}
PRICE_SCALE = 10_000  # prices per kWh are kept in 1/10000 of the currency's main unit


@dataclass(frozen=True)
class Reading:
    energy_wh: int | None  # the meter's register
    power_w: int | None


def _number(raw: Any) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def _unit(sample: Mapping[str, Any]) -> str:
    unit = sample.get("unit")
    if unit is None and isinstance(sample.get("unit_of_measure"), Mapping):
        unit = sample["unit_of_measure"].get("unit")
    return str(unit).lower() if unit is not None else ""


def read_sample(samples: Iterable[Mapping[str, Any]]) -> Reading:
    """One meter value's sampled values (snake_case keys, as the ocpp library hands them)."""
    energy: int | None = None
    power: int | None = None
    for sample in samples:
        measurand = sample.get("measurand") or ENERGY
        phase = sample.get("phase")
        if phase not in (None, ""):
            continue  # per-phase values: the total is what counts
        value = _number(sample.get("value"))
        if value is None:
            continue
        if measurand == ENERGY:
            scale = _SCALE.get(_unit(sample) or "wh")
            if scale is not None:
                energy = int((value * scale).to_integral_value(ROUND_HALF_UP))
        elif measurand == POWER:
            scale = _SCALE.get(_unit(sample) or "w")
            if scale is not None:
                power = int((value * scale).to_integral_value(ROUND_HALF_UP))
    return Reading(energy_wh=energy, power_w=power)


def energy_between(start_wh: int | None, last_wh: int | None) -> int:
    """Energy a session delivered: the register's rise (a meter that went back counts 0)."""
    if start_wh is None or last_wh is None:
        return 0
    return max(0, last_wh - start_wh)


def cost_of(energy_wh: int, price_per_kwh_e4: int, currency: str) -> Money:
    """Energy at a price per kWh, rounded half up to the currency's minor unit."""
    exact = (
        Decimal(energy_wh)
        * Decimal(price_per_kwh_e4)
        * (Decimal(10) ** currency_exponent(currency))
        / (Decimal(1000) * PRICE_SCALE)
    )
    return Money(int(exact.to_integral_value(ROUND_HALF_UP)), currency)


def parse_price(text: str) -> int:
    """``"0.3215"`` (main units per kWh, up to four decimals) in 1/10000 units; ValueError else."""
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("not a price") from exc
    scaled = value * PRICE_SCALE
    if not value.is_finite() or value < 0 or scaled != scaled.to_integral_value():
        raise ValueError("not a price")
    return int(scaled)


def price_text(price_per_kwh_e4: int) -> str:
    return str((Decimal(price_per_kwh_e4) / PRICE_SCALE).normalize().quantize(Decimal("0.0001")))


def money_text(minor: int, currency: str) -> str:
    """Minor units as plain decimal text (``1234, "EUR"`` -> ``12.34``), for files."""
    exponent = currency_exponent(currency)
    return str(Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent)))
