"""The shipped model catalogue, its rules, and a broken data file failing loudly."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

import linkplus.vehicles.catalogue as catalogue_module
from linkplus.vehicles.catalogue import (
    CAPABILITY_LABELS,
    DATA_FILE,
    Capability,
    CatalogueError,
    Multimedia,
    Powertrain,
    catalogue,
    load_catalogue,
    market_capabilities,
)

MODELS = catalogue().models


def test_the_catalogue_has_real_models_of_every_electrified_kind() -> None:
    assert len(MODELS) >= 10
    assert {m.powertrain for m in MODELS.values()} >= {
        Powertrain.petrol,
        Powertrain.hev,
        Powertrain.phev,
        Powertrain.bev,
    }
    assert MODELS["NX450HP"].name == "Lexus NX 450h+"
    assert MODELS["RZ450E"].powertrain is Powertrain.bev
    assert catalogue().get("NOPE") is None


def test_climate_runs_20_minutes_on_mm21_and_10_on_the_older_generation() -> None:
    for model in MODELS.values():
        expected = 20 if model.multimedia == {Multimedia.mm21} else 10
        assert model.climate_minutes == expected, model.code
        assert model.climate_renewals == 2
    assert MODELS["RX500H"].climate_minutes == 20
    assert MODELS["ES300H"].climate_minutes == 10


def test_plug_in_models_need_battery_for_climate_and_others_do_not() -> None:
    for model in MODELS.values():
        if model.powertrain is Powertrain.phev:
            assert model.climate_min_battery_pct == 30, model.code
        elif model.powertrain is Powertrain.bev:
            assert model.climate_min_battery_pct == 20, model.code
        else:
            assert model.climate_min_battery_pct is None, model.code
            assert Capability.charging not in model.capabilities


def test_every_capability_has_a_label() -> None:
    assert set(CAPABILITY_LABELS) == set(Capability)


def test_newest_multimedia_prefers_mm21() -> None:
    assert MODELS["UX300H"].newest_multimedia is Multimedia.mm21
    assert MODELS["UX250H"].newest_multimedia is Multimedia.mm18


@pytest.mark.parametrize("market", ["AT", "DE"])
@pytest.mark.parametrize("code", ["NX350H", "LC500"])
def test_basic_remote_climate_is_unavailable_for_engine_cars_in_austria_and_germany(
    market: str, code: str
) -> None:
    model = MODELS[code]
    assert Capability.remote_climate_basic in model.capabilities
    assert Capability.remote_climate_basic not in market_capabilities(model, market)
    assert Capability.remote_climate_basic in market_capabilities(model, "FR")


@pytest.mark.parametrize("code", ["NX450HP", "RZ450E"])
def test_plug_in_cars_keep_basic_remote_climate_in_germany(code: str) -> None:
    assert Capability.remote_climate_basic in market_capabilities(MODELS[code], "DE")


# --- a broken data file --------------------------------------------------------------------


def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "models.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_shipped_file_loads_to_the_same_catalogue() -> None:
    assert load_catalogue(DATA_FILE) == catalogue()


def test_a_file_that_is_not_json_fails_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text('{"models": [', encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"models\.json cannot be loaded"):
        load_catalogue(path)


def _broken(change: str) -> dict[str, Any]:
    data = _shipped()
    first = data["models"][0]
    if change == "unknown capability":
        first["capabilities"].append("teleport")
    elif change == "unknown field":
        first["colour"] = "sonic copper"
    elif change == "duplicate code":
        data["models"].append(dict(first))
    elif change == "bad market":
        first["markets"].append("XX")
    elif change == "wrong climate minutes":
        first["climate_minutes"] = 20 if first["climate_minutes"] == 10 else 10
    elif change == "mixed generations":
        first["multimedia"] = ["mm18", "mm21"]
    elif change == "plug-in without battery minimum":
        plug_in = next(m for m in data["models"] if m["powertrain"] in {"phev", "bev"})
        plug_in["climate_min_battery_pct"] = None
    elif change == "hybrid that charges":
        hybrid = next(m for m in data["models"] if m["powertrain"] == "hev")
        hybrid["capabilities"].append("charging")
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unknown capability", "teleport"),
        ("unknown field", "colour"),
        ("duplicate code", "listed twice"),
        ("bad market", "unknown market 'XX'"),
        ("wrong climate minutes", "climate_minutes must be"),
        ("mixed generations", "once per multimedia generation"),
        ("plug-in without battery minimum", "needs climate_min_battery_pct"),
        ("hybrid that charges", "only plug-in models have the charging capability"),
    ],
)
def test_a_broken_entry_fails_saying_what_is_wrong(
    tmp_path: Path, change: str, message: str
) -> None:
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(_write(tmp_path, _broken(change)))


def test_a_broken_shipped_file_stops_the_import_of_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loaded at import: a bad data file stops the program before it serves anything."""
    (tmp_path / "data").mkdir()
    _write(tmp_path / "data", _broken("unknown capability"))
    module_file = tmp_path / "catalogue.py"
    shutil.copyfile(catalogue_module.__file__ or "", module_file)
    spec = importlib.util.spec_from_file_location("broken_catalogue", module_file)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "broken_catalogue", module)
    with pytest.raises(ValueError, match="teleport") as caught:
        spec.loader.exec_module(module)
    assert type(caught.value).__name__ == "CatalogueError"
