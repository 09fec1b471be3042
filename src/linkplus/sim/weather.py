"""Outside temperature: a Brussels-like year and day, with a little weather on top.

A pure function of the seed and the instant, so the value a car reports at engine-off and the
value that set its heating consumption during the trip agree, whenever each is asked for.
"""

from __future__ import annotations

import math
from datetime import datetime

from linkplus.sim.ids import derived_rng

ANNUAL_MEAN_C = 10.5
ANNUAL_SWING_C = 7.5  # January about 3 °C, July about 18 °C
DAILY_SWING_C = 4.0  # coldest before dawn, warmest mid-afternoon


def outside_temperature_c(seed: int, moment: datetime) -> float:
    day_of_year = moment.timetuple().tm_yday
    hour = moment.hour + moment.minute / 60
    seasonal = ANNUAL_MEAN_C - ANNUAL_SWING_C * math.cos(2 * math.pi * (day_of_year - 15) / 365)
    daily = DAILY_SWING_C * math.sin(2 * math.pi * (hour - 9) / 24)
    weather = float(derived_rng(seed, "weather", moment.date().isoformat()).normal(0, 3))
    return round(seasonal + daily + weather, 1)
