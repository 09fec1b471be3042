"""A plausible city to drive in, generated from a seed around a real centre.

The layout follows a typical European city: a jittered street grid (30 km/h residential streets,
every fourth line an arterial at 50, 70 further out), a ring road at 70-90 km/h joined to the
arterials by slip roads, and a motorway leg at 120 km/h out to a village and a business park.
Distances are metres on a local flat projection (x east, y north), which is exact enough for a
city and keeps the geometry simple; ``RoadNetwork.latlon`` turns them into WGS 84.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from linkplus.sim.ids import derived_rng

METRES_PER_DEGREE = 111_320.0
GRID_HALF = 11  # grid lines from -11 to 11: about 8.4 km across
GRID_SPACING_M = 380.0
GRID_JITTER_M = 60.0
ARTERIAL_EVERY = 4
RING_RADIUS_M = 3_300.0
RING_NODES = 28
MOTORWAY_BEARING_DEG = 20.0  # from east, anticlockwise: towards the north-east
MOTORWAY_LENGTH_M = 16_000.0
MISSING_STREETS = 0.12  # share of residential grid streets that do not exist


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float


BRUSSELS = GeoPoint(50.8467, 4.3525)


class RoadClass(StrEnum):
    residential = "residential"
    arterial = "arterial"
    ring = "ring"
    ramp = "ramp"
    motorway = "motorway"


MAJOR_ROADS = frozenset({RoadClass.arterial, RoadClass.ring, RoadClass.ramp, RoadClass.motorway})


class Control(StrEnum):
    """What an intersection makes a driver do, seen from a minor road."""

    none = "none"
    traffic_light = "traffic_light"
    stop = "stop"
    give_way = "give_way"


class PlaceKind(StrEnum):
    home = "home"
    work = "work"
    shop = "shop"
    leisure = "leisure"


@dataclass(frozen=True)
class Node:
    id: int
    x: float
    y: float
    control: Control


@dataclass(frozen=True)
class Road:
    a: int
    b: int
    length_m: float
    limit_kmh: int
    kind: RoadClass


@dataclass(frozen=True)
class Route:
    """A path through the network as a polyline, with what the driver meets at each vertex."""

    nodes: tuple[int, ...]
    xs: np.ndarray  # vertex coordinates, metres
    ys: np.ndarray
    cumulative_m: np.ndarray  # distance from the start at each vertex
    limits_kmh: np.ndarray  # per segment (one fewer than vertices)
    kinds: tuple[RoadClass, ...]  # per segment
    controls: tuple[Control, ...]  # per vertex
    turns_deg: np.ndarray  # heading change at each vertex (0 at both ends), signed: left > 0

    @property
    def length_m(self) -> float:
        return float(self.cumulative_m[-1])

    def segment_at(self, distance_m: np.ndarray) -> np.ndarray:
        index = np.searchsorted(self.cumulative_m, distance_m, side="right") - 1
        return np.clip(index, 0, len(self.limits_kmh) - 1)

    def position(self, distance_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = np.clip(distance_m, 0.0, self.length_m)
        return np.interp(d, self.cumulative_m, self.xs), np.interp(d, self.cumulative_m, self.ys)


@dataclass
class RoadNetwork:
    centre: GeoPoint
    nodes: list[Node]
    adjacency: list[list[Road]]
    residential: list[int] = field(default_factory=list)  # where people live
    offices: list[int] = field(default_factory=list)
    shops: list[int] = field(default_factory=list)
    leisure: list[int] = field(default_factory=list)

    @property
    def roads(self) -> list[Road]:
        return [road for roads in self.adjacency for road in roads if road.a < road.b]

    def latlon(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lat = self.centre.lat + y / METRES_PER_DEGREE
        lon = self.centre.lon + x / (METRES_PER_DEGREE * math.cos(math.radians(self.centre.lat)))
        return lat, lon

    def route(self, start: int, end: int) -> Route:
        """The quickest route (A* on travel time, with a few seconds for each controlled node)."""
        if start == end:
            raise ValueError("a route needs two different places")
        path = self._quickest_path(start, end)
        return self._route_along(path)

    def _quickest_path(self, start: int, end: int) -> list[int]:
        goal = self.nodes[end]
        top_speed = 120 / 3.6

        def estimate(node: int) -> float:
            here = self.nodes[node]
            return math.hypot(here.x - goal.x, here.y - goal.y) / top_speed

        best: dict[int, float] = {start: 0.0}
        came_from: dict[int, int] = {}
        frontier: list[tuple[float, int]] = [(estimate(start), start)]
        done: set[int] = set()
        while frontier:
            _, node = heapq.heappop(frontier)
            if node == end:
                break
            if node in done:
                continue
            done.add(node)
            for road in self.adjacency[node]:
                cost = best[node] + _travel_seconds(road, self.nodes[road.b].control)
                if cost < best.get(road.b, math.inf):
                    best[road.b] = cost
                    came_from[road.b] = node
                    heapq.heappush(frontier, (cost + estimate(road.b), road.b))
        if end not in best:
            raise LookupError(f"no route from node {start} to node {end}")
        path = [end]
        while path[-1] != start:
            path.append(came_from[path[-1]])
        return path[::-1]

    def _road(self, a: int, b: int) -> Road:
        return next(road for road in self.adjacency[a] if road.b == b)

    def _route_along(self, path: list[int]) -> Route:
        roads = [self._road(a, b) for a, b in itertools.pairwise(path)]
        xs = np.array([self.nodes[n].x for n in path])
        ys = np.array([self.nodes[n].y for n in path])
        cumulative = np.concatenate(([0.0], np.cumsum([road.length_m for road in roads])))
        headings = np.arctan2(np.diff(ys), np.diff(xs))
        turns = np.zeros(len(path))
        if len(path) > 2:
            change = np.diff(headings)
            turns[1:-1] = np.degrees((change + np.pi) % (2 * np.pi) - np.pi)
        return Route(
            nodes=tuple(path),
            xs=xs,
            ys=ys,
            cumulative_m=cumulative,
            limits_kmh=np.array([road.limit_kmh for road in roads], dtype=float),
            kinds=tuple(road.kind for road in roads),
            controls=tuple(self.nodes[n].control for n in path),
            turns_deg=turns,
        )


def _travel_seconds(road: Road, control: Control) -> float:
    delay = {Control.traffic_light: 15.0, Control.stop: 6.0, Control.give_way: 3.0}
    return road.length_m / (road.limit_kmh / 3.6) + delay.get(control, 0.0)


# --- generation -------------------------------------------------------------------------------


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = derived_rng(seed, "roads")
        self.points: list[tuple[float, float]] = []
        self.controls: list[Control] = []
        self.edges: dict[tuple[int, int], tuple[int, RoadClass]] = {}

    def node(self, x: float, y: float, control: Control = Control.none) -> int:
        self.points.append((x, y))
        self.controls.append(control)
        return len(self.points) - 1

    def connect(self, a: int, b: int, limit: int, kind: RoadClass) -> None:
        self.edges[(min(a, b), max(a, b))] = (limit, kind)

    def distance(self, a: int, b: int) -> float:
        (xa, ya), (xb, yb) = self.points[a], self.points[b]
        return math.hypot(xa - xb, ya - yb)


def build_network(seed: int, centre: GeoPoint = BRUSSELS) -> RoadNetwork:
    """The city for ``seed``: the same seed always gives the same streets."""
    builder = _Builder(seed)
    grid = _grid(builder)
    ring = _ring(builder, grid)
    village, park = _motorway(builder, ring)
    _keep_connected(builder)
    network = _network(builder, centre)
    _choose_places(network, builder, grid, village, park)
    return network


def _on_arterial(i: int, j: int) -> tuple[bool, bool]:
    return i % ARTERIAL_EVERY == 0, j % ARTERIAL_EVERY == 0


def _grid(builder: _Builder) -> dict[tuple[int, int], int]:
    grid: dict[tuple[int, int], int] = {}
    span = range(-GRID_HALF, GRID_HALF + 1)
    for i in span:
        for j in span:
            jitter = builder.rng.uniform(-GRID_JITTER_M, GRID_JITTER_M, size=2)
            column, row = _on_arterial(i, j)
            control = Control.none
            if column and row:
                control = Control.traffic_light
            elif column or row:
                control = Control.stop if builder.rng.random() < 0.4 else Control.give_way
            elif builder.rng.random() < 0.5:
                control = Control.give_way  # priority to the right
            x, y = i * GRID_SPACING_M + jitter[0], j * GRID_SPACING_M + jitter[1]
            grid[(i, j)] = builder.node(x, y, control)
    for (i, j), node in grid.items():
        for di, dj in ((1, 0), (0, 1)):
            other = grid.get((i + di, j + dj))
            if other is None:
                continue
            arterial = (dj == 0 and j % ARTERIAL_EVERY == 0) or (
                di == 0 and i % ARTERIAL_EVERY == 0
            )
            if arterial:
                mid = math.hypot((i + di / 2) * GRID_SPACING_M, (j + dj / 2) * GRID_SPACING_M)
                builder.connect(node, other, 50 if mid < 2_600 else 70, RoadClass.arterial)
            elif builder.rng.random() >= MISSING_STREETS:
                central = math.hypot(i, j) * GRID_SPACING_M > 3_000
                limit = 50 if central and builder.rng.random() < 0.3 else 30
                builder.connect(node, other, limit, RoadClass.residential)
    return grid


def _ring(builder: _Builder, grid: dict[tuple[int, int], int]) -> list[int]:
    ring: list[int] = []
    for k in range(RING_NODES):
        angle = 2 * math.pi * k / RING_NODES
        radius = RING_RADIUS_M + builder.rng.uniform(-80, 80)
        ring.append(builder.node(radius * math.cos(angle), radius * math.sin(angle)))
    limits = [70, 80, 80, 90]
    for k, node in enumerate(ring):
        limit = limits[int(builder.rng.integers(len(limits)))]
        builder.connect(node, ring[(k + 1) % RING_NODES], limit, RoadClass.ring)
    arterial_nodes = [n for (i, j), n in grid.items() if any(_on_arterial(i, j))]
    for node in ring[::2]:  # a junction every other ring node
        nearest = min(arterial_nodes, key=lambda n: builder.distance(n, node))
        builder.connect(node, nearest, 50, RoadClass.ramp)
        builder.controls[nearest] = Control.traffic_light
    return ring


def _motorway(builder: _Builder, ring: list[int]) -> tuple[list[int], list[int]]:
    bearing = math.radians(MOTORWAY_BEARING_DEG)
    start = min(
        ring,
        key=lambda n: abs(math.atan2(builder.points[n][1], builder.points[n][0]) - bearing),
    )
    sx, sy = builder.points[start]
    previous, travelled = start, 0.0
    motorway: list[int] = []
    while travelled < MOTORWAY_LENGTH_M:
        travelled += builder.rng.uniform(1_200, 2_200)
        wobble = math.radians(6) * math.sin(travelled / 3_000)
        x = sx + travelled * math.cos(bearing + wobble)
        y = sy + travelled * math.sin(bearing + wobble)
        node = builder.node(x, y)
        builder.connect(previous, node, 90 if previous == start else 120, RoadClass.motorway)
        motorway.append(node)
        previous = node
    # An exit halfway to a village: a main street and two side streets.
    exit_node = motorway[len(motorway) // 2]
    ex, ey = builder.points[exit_node]
    across = bearing + math.pi / 2
    village: list[int] = []
    anchor = exit_node
    for step in range(1, 4):
        node = builder.node(
            ex + step * 450 * math.cos(across),
            ey + step * 450 * math.sin(across),
            Control.give_way if step > 1 else Control.traffic_light,
        )
        builder.connect(
            anchor,
            node,
            70 if step == 1 else 50,
            RoadClass.ramp if step == 1 else RoadClass.arterial,
        )
        anchor = node
        village.append(node)
        for side in (-1, 1):
            side_node = builder.node(
                builder.points[node][0] + side * 300 * math.cos(bearing),
                builder.points[node][1] + side * 300 * math.sin(bearing),
            )
            builder.connect(node, side_node, 30, RoadClass.residential)
            village.append(side_node)
    # A business park at the end: a 4 x 4 grid behind a slip road.
    ox, oy = builder.points[motorway[-1]]
    park: dict[tuple[int, int], int] = {}
    for i in range(4):
        for j in range(4):
            along, offset = 600.0 + i * 260, (j - 1.5) * 260
            park[(i, j)] = builder.node(
                ox + along * math.cos(bearing) - offset * math.sin(bearing),
                oy + along * math.sin(bearing) + offset * math.cos(bearing),
                Control.give_way,
            )
    for (i, j), node in park.items():
        for di, dj in ((1, 0), (0, 1)):
            other = park.get((i + di, j + dj))
            if other is not None:
                main = j in (1, 2) and dj == 0
                builder.connect(
                    node,
                    other,
                    50 if main else 30,
                    RoadClass.arterial if main else RoadClass.residential,
                )
    builder.connect(motorway[-1], park[(0, 1)], 70, RoadClass.ramp)
    builder.controls[park[(0, 1)]] = Control.traffic_light
    return village, list(park.values())


def _keep_connected(builder: _Builder) -> None:
    """Put back missing grid streets until every node can reach every other (union-find)."""
    parent = list(range(len(builder.points)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in builder.edges:
        parent[root(a)] = root(b)
    for a in range(len(builder.points)):
        if root(a) == root(0):
            continue
        nearest = min(
            (b for b in range(len(builder.points)) if root(b) == root(0)),
            key=lambda b: builder.distance(a, b),
        )
        builder.connect(a, nearest, 30, RoadClass.residential)
        parent[root(a)] = root(nearest)


def _network(builder: _Builder, centre: GeoPoint) -> RoadNetwork:
    nodes = [
        Node(i, x, y, control)
        for i, ((x, y), control) in enumerate(zip(builder.points, builder.controls, strict=True))
    ]
    adjacency: list[list[Road]] = [[] for _ in nodes]
    for (a, b), (limit, kind) in sorted(builder.edges.items()):
        length = max(builder.distance(a, b), 5.0)
        adjacency[a].append(Road(a, b, length, limit, kind))
        adjacency[b].append(Road(b, a, length, limit, kind))
    return RoadNetwork(centre=centre, nodes=nodes, adjacency=adjacency)


def _choose_places(
    network: RoadNetwork,
    builder: _Builder,
    grid: dict[tuple[int, int], int],
    village: list[int],
    park: list[int],
) -> None:
    minor = [
        n
        for (i, j), n in grid.items()
        if not any(_on_arterial(i, j))
        and all(r.kind is RoadClass.residential for r in network.adjacency[n])
    ]
    network.residential = sorted(minor + village[1:])
    central = [n for (i, j), n in grid.items() if abs(i) <= 3 and abs(j) <= 3]
    network.offices = sorted(set(central) | set(park))
    lights = [n for n in grid.values() if network.nodes[n].control is Control.traffic_light]
    picks = builder.rng.choice(len(lights), size=4, replace=False)
    network.shops = sorted(lights[int(k)] for k in picks)
    network.leisure = sorted(int(n) for n in builder.rng.choice(minor, size=25, replace=False))
