"""Route ends and walking routes on the "T" graph of conftest, worked on paper.

Routes from a landmark at A to hotspots at B and at D (both 200 m long):
A-B watched 50 / 200 = 0.25, A-D watched 40 / 200 = 0.2.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import pytest
from conftest import X0, Y0
from shapely.geometry import box

from coverage.evaluation import corridor_continuity, route_ends

CRS = "EPSG:2326"


def test_route_ends_by_intensity_and_weight(t_plan, route_scene):
    lmk, hot = route_ends(route_scene(), t_plan(), separation_m=50)
    assert lmk["name"].tolist() == ["Exit A"]
    assert [(round(x - X0), round(y - Y0)) for x, y in zip(hot["x"], hot["y"], strict=True)] == [
        (200, 0),
        (100, 100),
    ]
    _, one = route_ends(route_scene(), t_plan(), n_hotspots=1, separation_m=50)
    _, far = route_ends(route_scene(), t_plan())  # 300 m apart by default: one is left
    assert len(far) == 1
    assert len(one) == 1


@pytest.mark.parametrize(("threshold", "share"), [(0.8, 0.0), (0.25, 0.5), (0.2, 1.0)])
def test_routes_watched_share_on_paper(threshold, share, t_plan, route_scene):
    cont = corridor_continuity(route_scene(), t_plan(), threshold=threshold, separation_m=50)
    r = cont.routes.set_index("target")
    assert r["length_m"].tolist() == pytest.approx([200.0, 200.0])
    assert r["watched_share"].tolist() == pytest.approx([0.25, 0.2])
    assert cont.share_routes_watched == pytest.approx(share)


def test_routes_between_hotspots_without_landmarks(t_scene, t_plan):
    hot = gpd.GeoDataFrame(
        {"intensity": [2.0, 1.0]},
        geometry=[
            box(X0 + 195, Y0 - 5, X0 + 205, Y0 + 5),
            box(X0 + 95, Y0 + 95, X0 + 105, Y0 + 105),
        ],
        crs=CRS,
    )
    cont = corridor_continuity(t_scene(hotspots=hot), t_plan(), separation_m=50)
    # one route B -> C -> D: 200 m, watched 50 + 40
    assert len(cont.routes) == 1
    assert cont.routes["watched_share"].iloc[0] == pytest.approx(90 / 200)


def test_pairs_helper_is_deterministic(t_plan, route_scene):
    a = corridor_continuity(route_scene(), t_plan())
    b = corridor_continuity(route_scene(), t_plan())
    assert a.routes.equals(b.routes)
    assert list(itertools.chain(a.longest_unwatched_ends)) == list(
        itertools.chain(b.longest_unwatched_ends)
    )
