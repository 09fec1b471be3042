"""The generated city: repeatable, connected, with realistic roads."""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from linkplus.sim.roads import BRUSSELS, RoadClass, build_network

NETWORK = build_network(11)


def test_same_seed_same_city_and_another_seed_another() -> None:
    again = build_network(11)
    other = build_network(12)
    assert [(n.x, n.y, n.control) for n in again.nodes] == [
        (n.x, n.y, n.control) for n in NETWORK.nodes
    ]
    assert again.roads == NETWORK.roads
    assert [(n.x, n.y) for n in other.nodes] != [(n.x, n.y) for n in NETWORK.nodes]


def test_every_node_reaches_every_other_and_roads_go_both_ways() -> None:
    for roads in NETWORK.adjacency:
        for road in roads:
            assert any(back.b == road.a for back in NETWORK.adjacency[road.b])
    seen = {0}
    queue = deque([0])
    while queue:
        for road in NETWORK.adjacency[queue.popleft()]:
            if road.b not in seen:
                seen.add(road.b)
                queue.append(road.b)
    assert len(seen) == len(NETWORK.nodes)


def test_the_city_has_each_kind_of_road_with_its_limits() -> None:
    limits: dict[RoadClass, set[int]] = {}
    for road in NETWORK.roads:
        limits.setdefault(road.kind, set()).add(road.limit_kmh)
        assert 5 <= road.length_m <= 2_500
    assert limits[RoadClass.residential] <= {30, 50}
    assert limits[RoadClass.arterial] <= {50, 70}
    assert limits[RoadClass.ring] <= {70, 80, 90}
    assert 120 in limits[RoadClass.motorway]
    lat, lon = NETWORK.latlon(
        np.array([n.x for n in NETWORK.nodes]), np.array([n.y for n in NETWORK.nodes])
    )
    assert abs(float(np.mean(lat)) - BRUSSELS.lat) < 0.1
    assert abs(float(np.mean(lon)) - BRUSSELS.lon) < 0.15


def test_routes_connect_every_pair_of_places() -> None:
    places = sorted({*NETWORK.shops, *NETWORK.offices[::4], *NETWORK.residential[::40]})
    for a, b in itertools.permutations(places, 2):
        route = NETWORK.route(a, b)
        assert route.nodes[0] == a
        assert route.nodes[-1] == b
        assert route.length_m > 0


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_route_is_a_connected_path_whose_length_adds_up(data: st.DataObject) -> None:
    a = data.draw(st.integers(0, len(NETWORK.nodes) - 1))
    b = data.draw(st.integers(0, len(NETWORK.nodes) - 1).filter(lambda n: n != a))
    route = NETWORK.route(a, b)
    hops = list(itertools.pairwise(route.nodes))
    lengths = [next(r.length_m for r in NETWORK.adjacency[x] if r.b == y) for x, y in hops]
    assert route.length_m == sum(lengths)
    assert len(route.limits_kmh) == len(hops)
    assert len(set(route.nodes)) == len(route.nodes)  # never through the same junction twice
