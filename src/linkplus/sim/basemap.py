"""The simulated city's roads as GeoJSON: the base map the platform serves for its own demo area
when no tile source is configured (``LINKPLUS_MAP_TILES_URL``), so a map without internet still
shows the streets the simulated cars park and drive on.

One MultiLineString per road class (residential, arterial, ring, ramp, motorway), each road a
straight line between two junctions, exactly as the simulator drives it; coordinates are rounded
to 6 decimals (about 0.1 m), which keeps the demo city near 45 KB.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from linkplus.sim.roads import RoadClass, RoadNetwork

DECIMALS = 6


def roads_geojson(network: RoadNetwork) -> dict[str, Any]:
    """A FeatureCollection: per road class a MultiLineString, ``properties.kind`` its class."""
    xs = np.array([node.x for node in network.nodes])
    ys = np.array([node.y for node in network.nodes])
    lats, lons = network.latlon(xs, ys)
    lines: dict[RoadClass, list[list[list[float]]]] = {kind: [] for kind in RoadClass}
    for road in network.roads:
        lines[road.kind].append(
            [
                [round(float(lons[road.a]), DECIMALS), round(float(lats[road.a]), DECIMALS)],
                [round(float(lons[road.b]), DECIMALS), round(float(lats[road.b]), DECIMALS)],
            ]
        )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": kind.value},
                "geometry": {"type": "MultiLineString", "coordinates": coordinates},
            }
            for kind, coordinates in lines.items()
            if coordinates
        ],
    }


def write_roads(network: RoadNetwork, path: Path) -> None:
    """Write the roads to ``path`` (written beside it and renamed, so a reader never sees half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(roads_geojson(network), separators=(",", ":")))
    os.replace(partial, path)
