"""The dealer directory (pure): the shipped data, distances and searching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkplus.dealers.directory import (
    DATA_FILE,
    Dealer,
    DirectoryError,
    directory,
    haversine_km,
    load_directory,
    search,
)

DEALERS = list(directory().values())
MUNICH = (48.1372, 11.5756)
BERLIN = (52.5200, 13.4050)
PARIS = (48.8566, 2.3522)
LONDON = (51.5074, -0.1278)
SYDNEY = (-33.8688, 151.2093)

points = st.tuples(
    st.floats(min_value=-90, max_value=90, allow_nan=False),
    st.floats(min_value=-180, max_value=180, allow_nan=False),
)


def test_the_directory_has_dealers_in_several_countries() -> None:
    assert len(DEALERS) >= 12
    assert len({dealer.country for dealer in DEALERS}) >= 8
    assert len({dealer.id for dealer in DEALERS}) == len(DEALERS)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        (MUNICH, BERLIN, 504),
        (PARIS, LONDON, 344),
        (LONDON, SYDNEY, 16994),
    ],
)
def test_haversine_matches_known_great_circle_distances(
    a: tuple[float, float], b: tuple[float, float], km: float
) -> None:
    assert haversine_km(a, b) == pytest.approx(km, rel=0.005)


@given(points, points)
def test_haversine_is_symmetric_and_bounded_by_half_the_circumference(
    a: tuple[float, float], b: tuple[float, float]
) -> None:
    distance = haversine_km(a, b)
    assert distance == pytest.approx(haversine_km(b, a), abs=1e-6)
    assert 0 <= distance <= 20016  # half the mean circumference
    assert haversine_km(a, a) == pytest.approx(0, abs=1e-6)


def test_nearest_first_from_a_position() -> None:
    near_munich = (48.15, 11.60)  # Schwabing
    hits = search(DEALERS, near=near_munich, limit=3)
    assert [hit.dealer.city for hit in hits] == ["München", "Milano", "Wien"]
    distances = [hit.distance_km for hit in hits]
    assert distances == sorted(distances)  # type: ignore[type-var]
    assert distances[0] is not None
    assert distances[0] < 5


def test_by_position_and_country_together() -> None:
    hits = search(DEALERS, near=MUNICH, country="de")
    assert [hit.dealer.id for hit in hits] == ["de-muc-1", "de-ber-1", "de-ham-1"]


@pytest.mark.parametrize("name", ["isarblick", "ISARBLICK AUTO", "blick", "münchen", "MÜNCHEN"])
def test_by_name_or_city_ignoring_case(name: str) -> None:
    hits = search(DEALERS, name=name)
    assert [hit.dealer.id for hit in hits] == ["de-muc-1"]
    assert hits[0].distance_km is None


def test_without_a_position_results_are_by_name_and_limited() -> None:
    hits = search(DEALERS, limit=5)
    names = [hit.dealer.name for hit in hits]
    assert len(names) == 5
    assert names == sorted(names, key=str.casefold)
    assert search(DEALERS, name="no such dealer") == []
    assert [hit.dealer.country for hit in search(DEALERS, country="AU")] == ["AU", "AU"]


def _write(tmp_path: Path, change: str) -> Path:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    if change == "duplicate":
        data["dealers"].append(dict(data["dealers"][0]))
    elif change == "latitude":
        data["dealers"][0]["lat"] = 123.0
    elif change == "country":
        data["dealers"][0]["country"] = "XX"
    elif change == "field":
        data["dealers"][0]["fax"] = "+49 89 0"
    path = tmp_path / "dealers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("duplicate", "listed twice"),
        ("latitude", "lat"),
        ("country", "unknown country 'XX'"),
        ("field", "fax"),
    ],
)
def test_a_broken_directory_file_fails_loudly(tmp_path: Path, change: str, message: str) -> None:
    with pytest.raises(DirectoryError, match=message):
        load_directory(_write(tmp_path, change))


def test_the_shipped_file_is_what_was_loaded() -> None:
    loaded = load_directory(DATA_FILE)
    assert loaded == directory()
    assert isinstance(loaded["de-muc-1"], Dealer)
