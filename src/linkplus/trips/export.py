"""A trip's route as stretches, GeoJSON and GPX. Pure: arrays in, documents out.

A route is cut into stretches that are either driven as recorded or rebuilt (positions made up
where location was not shared, ``trips.rebuild``). A rebuilt stretch runs from the last recorded
point before the gap to the first one after it, so the drawn line stays continuous and the made-up
part can be shown differently (dashed on the web page, ``"rebuilt": true`` in GeoJSON, a
``linkplus:rebuilt`` extension on the GPX track segment). Coordinates are GeoJSON's
``[longitude, latitude]``, rounded to six decimals (about 10 cm).
"""

from __future__ import annotations

import itertools
import math
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from linkplus.trips.samples import BoolArray, FloatArray

GPX_NS = "http://www.topografix.com/GPX/1/1"
LINKPLUS_NS = "https://linkplus.dev/xmlns/gpx/1"
COORDINATE_DIGITS = 6

ET.register_namespace("", GPX_NS)
ET.register_namespace("linkplus", LINKPLUS_NS)


@dataclass(frozen=True, slots=True)
class Stretch:
    rebuilt: bool
    indices: tuple[int, ...]  # sample indices, in order


@dataclass(frozen=True, slots=True, eq=False)
class RouteTrip:
    """What an export needs of one saved trip."""

    id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    distance_m: float
    score: float
    t: FloatArray
    lat: FloatArray
    lon: FloatArray
    rebuilt: BoolArray


def _runs(flags: BoolArray) -> list[tuple[int, int]]:
    """[start, end) of each run of equal values."""
    if flags.shape[0] == 0:
        return []
    cuts = np.flatnonzero(flags[1:] != flags[:-1]) + 1
    edges = [0, *cuts.tolist(), int(flags.shape[0])]
    return list(itertools.pairwise(edges))


def stretches(
    lat: FloatArray, lon: FloatArray, rebuilt: BoolArray, *, max_points: int | None = None
) -> list[Stretch]:
    """The route's stretches; ``max_points`` thins each one evenly (ends kept) for drawing."""
    located = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if located.shape[0] < 2:
        return []
    flags = rebuilt[located]
    step = 1
    if max_points is not None and located.shape[0] > max_points:
        step = math.ceil(located.shape[0] / max_points)
    out: list[Stretch] = []
    for start, end in _runs(flags):
        first = start - 1 if flags[start] and start > 0 else start
        last = end if flags[start] and end < located.shape[0] else end - 1
        picked = list(range(first, last + 1, step))
        if picked[-1] != last:
            picked.append(last)
        if len(picked) >= 2:
            out.append(Stretch(bool(flags[start]), tuple(int(located[i]) for i in picked)))
    return out


def _position(lat: FloatArray, lon: FloatArray, i: int) -> list[float]:
    return [round(float(lon[i]), COORDINATE_DIGITS), round(float(lat[i]), COORDINATE_DIGITS)]


def route_geojson(
    lat: FloatArray, lon: FloatArray, rebuilt: BoolArray, *, max_points: int | None = None
) -> dict[str, Any] | None:
    """The route of one trip as a FeatureCollection: one LineString per stretch, with
    ``properties.rebuilt``, and the start and end points. None when no position is known."""
    parts = stretches(lat, lon, rebuilt, max_points=max_points)
    if not parts:
        return None
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [_position(lat, lon, i) for i in part.indices],
            },
            "properties": {"rebuilt": part.rebuilt},
        }
        for part in parts
    ]
    for role, i in (("start", parts[0].indices[0]), ("end", parts[-1].indices[-1])):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _position(lat, lon, i)},
                "properties": {"role": role},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def trips_geojson(trips: Sequence[RouteTrip]) -> dict[str, Any]:
    """Every trip's stretches as LineString features carrying the trip's id and times."""
    features: list[dict[str, Any]] = []
    for trip in trips:
        for part in stretches(trip.lat, trip.lon, trip.rebuilt):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [_position(trip.lat, trip.lon, i) for i in part.indices],
                    },
                    "properties": {
                        "trip_id": str(trip.id),
                        "started_at": _iso(trip.started_at),
                        "ended_at": _iso(trip.ended_at),
                        "distance_km": round(trip.distance_m / 1000.0, 3),
                        "score": round(trip.score, 1),
                        "rebuilt": part.rebuilt,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


def _tag(name: str, namespace: str = GPX_NS) -> str:
    return f"{{{namespace}}}{name}"


def trips_gpx(trips: Sequence[RouteTrip], *, created_at: datetime) -> str:
    """GPX 1.1: one track per trip, one track segment per stretch; rebuilt segments carry
    ``<extensions><linkplus:rebuilt>true</linkplus:rebuilt></extensions>``."""
    root = ET.Element(_tag("gpx"), {"version": "1.1", "creator": "linkplus"})
    metadata = ET.SubElement(root, _tag("metadata"))
    ET.SubElement(metadata, _tag("time")).text = _iso(created_at)
    for trip in trips:
        track = ET.SubElement(root, _tag("trk"))
        ET.SubElement(
            track, _tag("name")
        ).text = f"Trip {trip.started_at.strftime('%Y-%m-%d %H:%M')} UTC"
        ET.SubElement(
            track, _tag("desc")
        ).text = f"{trip.distance_m / 1000.0:.1f} km, score {trip.score:.0f}"
        ET.SubElement(track, _tag("type")).text = "car"
        for part in stretches(trip.lat, trip.lon, trip.rebuilt):
            segment = ET.SubElement(track, _tag("trkseg"))
            for i in part.indices:
                lon, lat = _position(trip.lat, trip.lon, i)
                point = ET.SubElement(segment, _tag("trkpt"), {"lat": str(lat), "lon": str(lon)})
                moment = trip.started_at + timedelta(seconds=float(trip.t[i]))
                ET.SubElement(point, _tag("time")).text = _iso(moment)
            if part.rebuilt:
                extensions = ET.SubElement(segment, _tag("extensions"))
                ET.SubElement(extensions, _tag("rebuilt", LINKPLUS_NS)).text = "true"
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
