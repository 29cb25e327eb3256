"""Hostile parameters: size guards, Problem arguments, saved plans read back, Plan.meta['crs'].

Issue 10, items 5-8. Each size guard must refuse within a second, before
allocating, naming the parameter, the estimate and the limit. Expected values
are computed independently: corridor lengths and k-d tree counts for the
estimates, ``os.sysconf`` for the memory limit, hand-worked orientations on
the tiny scene for headings.
"""

from __future__ import annotations

import json
import math
import os
import re
import time

import geopandas as gpd
import numpy as np
import pytest
from conftest import X0, Y0, tiny_layers, tiny_poles
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point, box

import coverage as cov
from coverage._sizes import estimate_problem_size, memory_limit_gb
from coverage.demand import (
    _grid_axes,
    _pairs_estimate,
    hotspot_polygons,
    hotspot_risk,
    sample_demand,
)
from coverage.errors import InputError, ParameterError
from coverage.matrix import coverage_matrix
from coverage.plan import Problem, _make_demand, _make_sites, assess, solve
from coverage.visibility import in_sector, isovists, privacy_intrusion, view_sectors

FAST_S = 1.0


@pytest.fixture
def tiny():
    L = tiny_layers()
    return cov.Scene(
        L["districts"], L["corridors"], buildings=L["buildings"], cameras=L["cameras"], name="tiny"
    )


def _pole_problem(scene, **kw):
    kw.setdefault("budget", 2)
    kw.setdefault("method", "greedy")
    kw.setdefault("poles", tiny_poles())
    return Problem(scene, cov.CameraSet(), candidates="poles", **kw)


def _timed_refusal(fn, match):
    t0 = time.perf_counter()
    with pytest.raises(ParameterError, match=match) as info:
        fn()
    elapsed = time.perf_counter() - t0
    assert elapsed < FAST_S, f"refused after {elapsed:.2f} s"
    return str(info.value)


# --------------------------------------------------------------------------- size guards
@pytest.mark.parametrize(
    ("problem_kw", "camera_kw", "name"),
    [
        ({"spacing_m": 0.01}, {}, "spacing_m"),
        ({}, {"range_m": 400.0}, "range_m"),
        ({}, {"rotations": 1_000_000}, "rotations"),
        ({"candidate_spacing_m": 0.001}, {}, "candidate_spacing_m"),
    ],
)
def test_size_guard_refuses_the_issue_cases_within_a_second(
    sample_scene, problem_kw, camera_kw, name
):
    p = Problem(sample_scene, cov.CameraSet(**camera_kw), budget=20, **problem_kw)
    msg = _timed_refusal(lambda: solve(p), rf"the '{name}' parameter makes this problem too large")
    assert "GiB in all" in msg
    assert "above the limit of" in msg
    assert "Nothing was computed" in msg
    assert f"{memory_limit_gb():,.1f} GiB" in msg
    assert "{" not in msg, msg  # every figure is filled in
    assert re.search(r"[\d,.]+\S* candidate rows \([\d,.]+\S* sites x their rotations\)", msg), msg


def test_range_400_refused_in_assess_too(sample_scene):
    p = Problem(sample_scene, cov.CameraSet(range_m=400.0), budget=1)
    sets = gpd.GeoDataFrame(geometry=[Point(362000, 2461500)], crs=sample_scene.crs)
    _timed_refusal(lambda: assess(p, sets), r"assess: the 'range_m' parameter")


def test_max_memory_gb_is_the_limit(tiny):
    p = _pole_problem(tiny, max_memory_gb=1e-6)
    msg = _timed_refusal(lambda: solve(p), r"above the limit of 0\.0 GiB \(max_memory_gb=1e-06\)")
    assert "demand points" in msg


def test_default_problems_pass_the_guard(tiny, sample_scene):
    plan = solve(_pole_problem(tiny))
    assert len(plan.new_cameras) == 2
    est = estimate_problem_size(Problem(sample_scene, cov.CameraSet(), budget=20))
    assert est.gib < 2.0


@pytest.mark.parametrize("value", [0, -1, np.nan, np.inf, "1", True])
def test_bad_max_memory_gb(tiny, value):
    with pytest.raises(ParameterError, match=r"'max_memory_gb' parameter of Problem"):
        _pole_problem(tiny, max_memory_gb=value)


def test_default_limit_is_half_the_physical_memory():
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert memory_limit_gb() == pytest.approx(total / 2 / 2**30)
    assert memory_limit_gb(3.5) == 3.5


def test_estimates_match_independent_counts(sample_scene):
    p = Problem(sample_scene, cov.CameraSet(), budget=20)
    est = estimate_problem_size(p)
    demand = _make_demand(p)
    sites = _make_sites(p)
    # demand: the same arithmetic on corridor lengths, so exact
    lengths = sample_scene.corridors.length.to_numpy()
    assert est.demand_points == float(np.maximum(np.ceil(lengths / 10.0 - 0.5), 1).sum())
    assert est.demand_points == len(demand)
    # sites: an upper estimate (some candidates fall in buildings or merge at crossings)
    assert len(sites) <= est.sites <= 3 * len(sites)
    # pairs within range: a k-d tree count between the real sites and demand
    dxy = np.column_stack([demand.geometry.x, demand.geometry.y])
    sxy = np.column_stack([sites.geometry.x, sites.geometry.y])
    real = int(cKDTree(sxy).count_neighbors(cKDTree(dxy), 40.0))
    assert 0.5 * real <= est.pairs <= 4 * real


def test_stray_vertex_far_away_is_refused_fast(tiny):
    L = tiny_layers()
    corr = L["corridors"].copy()
    corr.loc[2] = [1.0, "stray", LineString([(X0, Y0 + 100), (X0 + 1e12, Y0 + 100)])]
    scene, refused = None, ""
    try:
        scene = cov.Scene(L["districts"], corr, buildings=L["buildings"], name="stray")
    except InputError as exc:  # the scene's own extent check got there first
        refused = str(exc)
    if scene is None:
        assert "corridors" in refused
        return
    p = Problem(scene, cov.CameraSet(), budget=2, method="greedy")
    msg = _timed_refusal(lambda: solve(p), "too large")
    assert "km of corridors" in msg


# --------------------------------------------------------------------------- KDE grid
def _incidents(scene):
    return scene.hotspots


def test_tiny_bandwidth_refused_by_sample_demand(sample_scene):
    assert sample_scene.hotspot_kind == "points"
    msg = _timed_refusal(
        lambda: sample_demand(sample_scene, bandwidth_m=1e-6),
        r"'bandwidth_m' parameter of sample_demand is too small",
    )
    assert "GiB" in msg
    assert "20,000,000 cells" in msg
    # the suggested bandwidth fits the grid (and a smaller one does not)
    hint = float(msg.rsplit("bandwidth_m >= ", 1)[1].split()[0])
    pxy = np.asarray(sample_scene.hotspots.get_coordinates())
    xs, ys, c = _grid_axes(pxy, hint, None, "sample_demand")
    assert len(xs) * len(ys) <= 20_000_000
    assert c <= hint
    with pytest.raises(ParameterError, match="too small"):
        _grid_axes(pxy, hint / 1.5, None, "sample_demand")


def test_tiny_bandwidth_refused_by_hotspot_risk_and_polygons(sample_scene):
    xy = np.array([[361000.0, 2461000.0]])
    _timed_refusal(
        lambda: hotspot_risk(xy, sample_scene, bandwidth_m=1e-6),
        "'bandwidth_m' parameter of hotspot_risk",
    )
    _timed_refusal(
        lambda: hotspot_polygons(_incidents(sample_scene), bandwidth_m=1e-6),
        "'bandwidth_m' parameter of hotspot_polygons",
    )


def test_tiny_bandwidth_refused_by_solve(sample_scene):
    p = Problem(sample_scene, cov.CameraSet(), budget=20, bandwidth_m=1e-6)
    _timed_refusal(lambda: solve(p), "'bandwidth_m' parameter of sample_demand is too small")


def test_tiny_cell_is_refused_not_overflowed():
    xy = np.array([[0.0, 0.0], [5000.0, 4000.0]])
    with pytest.raises(ParameterError, match=r"'cell_m' parameter of hotspot_polygons"):
        _grid_axes(xy, 150.0, 1e-9)


def test_pair_estimate_cannot_overflow():
    # r = 4e-6 m over a 1e7 m extent: 6e24 grid cells, more than int64 holds
    rng = np.random.default_rng(0)
    q = rng.random((200, 2)) * 1e7
    xy = np.vstack([q[:50] + 1e-6, rng.random((50, 2)) * 1e7])
    got = _pairs_estimate(q, xy, 4e-6)
    assert got == int(cKDTree(xy).count_neighbors(cKDTree(q), 4e-6)) == 50


# --------------------------------------------------------------------------- Problem arguments
@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"rng": "abc"}, r"'rng' parameter of Problem must be an int in \[0, inf\)"),
        ({"rng": -1}, r"'rng' parameter of Problem"),
        ({"rng": 1.5}, r"'rng' parameter of Problem"),
        ({"rng": True}, r"'rng' parameter of Problem"),
        ({"budget": True}, r"'budget' parameter of Problem"),
        ({"budget": 2.5}, r"'budget' parameter of Problem"),
        ({"budget": 0}, r"'budget' parameter of Problem"),
        ({"budget": []}, r"non-empty list of ints"),
        ({"budget": [1, 0]}, r"'budget\[1\]' parameter of Problem"),
        ({"spacing_m": 0}, r"'spacing_m' parameter of Problem"),
        ({"spacing_m": np.nan}, r"'spacing_m' parameter of Problem"),
        ({"spacing_m": np.inf}, r"'spacing_m' parameter of Problem"),
        ({"candidate_spacing_m": -5}, r"'candidate_spacing_m'"),
        ({"bandwidth_m": 0}, r"'bandwidth_m' parameter of Problem"),
        ({"gap_tol": -0.1}, r"'gap_tol'"),
        ({"time_limit_s": 0}, r"'time_limit_s'"),
        ({"method": "magic"}, r"'method' parameter of Problem"),
    ],
)
def test_bad_problem_arguments(tiny, kw, match):
    with pytest.raises(ParameterError, match=match):
        _pole_problem(tiny, **kw)


def test_problem_accepts_numpy_seed(tiny):
    plan = solve(_pole_problem(tiny, rng=np.int64(4)))
    assert plan.meta["rng"] == 4
    assert type(plan.meta["rng"]) is int  # JSON-ready for meta.json
    assert json.dumps({"rng": plan.meta["rng"], "crs": plan.meta["crs"]})


def test_quota_minima_above_the_budget(tiny):
    with pytest.raises(
        ParameterError,
        match=r"minima add up to 3 set\(s\) \('West': 2, 'East': 1\) but the budget is 2",
    ):
        _pole_problem(tiny, quotas={"West": (2, None), "East": (1, None)})


def test_quota_minima_above_the_smallest_phase(tiny):
    with pytest.raises(ParameterError, match="the smallest phase budget is 1"):
        _pole_problem(tiny, budget=[2, 1], quotas={"East": (2, None)})


def test_quota_minimum_in_a_district_without_poles(tiny):
    # the three poles stand at x = 100, 130, 100: all in East (x >= 98)
    p = _pole_problem(tiny, quotas={"West": (1, None)})
    with pytest.raises(ParameterError, match=r"'West' needs at least 1 but has 0 open site"):
        solve(p)


def test_feasible_quota_is_met(tiny):
    plan = solve(_pole_problem(tiny, quotas={"East": (2, 2)}))
    assert (plan.new_cameras["district"] == "East").sum() == 2


# --------------------------------------------------------------------------- existing headings
def test_infinite_existing_heading_is_an_error():
    cs = cov.CameraSet(cameras=1, hfov_deg=90, range_m=40)
    with pytest.raises(InputError, match=r"existing_heading_deg has 1 infinite value.*NaN"):
        coverage_matrix(
            np.empty((0, 2)), [[10.0, 0.0]], cs, existing_xy=[[0, 0]], existing_heading_deg=[np.inf]
        )


def test_nan_existing_heading_is_the_default_orientation():
    cs = cov.CameraSet(cameras=1, hfov_deg=90, range_m=40)
    d = [[0.0, 30.0], [30.0, 0.0]]
    nan = coverage_matrix(
        np.empty((0, 2)), d, cs, existing_xy=[[0, 0]], existing_heading_deg=[np.nan]
    )
    north = coverage_matrix(
        np.empty((0, 2)), d, cs, existing_xy=[[0, 0]], existing_heading_deg=[0.0]
    )
    assert nan.A.toarray().tolist() == north.A.toarray().tolist() == [[1.0, 0.0]]


# --------------------------------------------------------------------------- saved plans read back
def _sets(headings, **cols):
    pole = tiny_poles().geometry[0]  # the crossing
    return gpd.GeoDataFrame({"headings_deg": [headings], **cols}, geometry=[pole], crs="EPSG:2326")


@pytest.mark.parametrize("cell", ["north", "30;;x", "inf", "30,5", "nan;1", "1e999"])
def test_unreadable_headings_are_an_error(tiny, cell):
    with pytest.raises(InputError, match=r"'headings_deg' has 1 unreadable value\(s\) \(row 0"):
        assess(_pole_problem(tiny), _sets(cell))


@pytest.mark.parametrize(
    "cell", ["45;165;285", " 45 ; 165 ; 285 ", "(45.0, 165.0, 285.0)", "[45, 165, 285]", 45.0, "45"]
)
def test_headings_as_text_or_tuples_give_the_same_coverage(tiny, cell):
    p = _pole_problem(tiny)
    want = assess(p, _sets((45.0, 165.0, 285.0)))
    got = assess(p, _sets(cell))
    assert got.objective == want.objective
    assert got.cameras["headings_deg"].iloc[-1] == (45.0, 165.0, 285.0)


def test_headings_change_the_result_and_empty_means_default(tiny):
    p = _pole_problem(tiny)
    default = assess(p, _sets(None)).objective
    assert assess(p, _sets("")).objective == default
    assert assess(p, _sets((0.0, 120.0, 240.0))).objective == default
    # turned by 45 degrees the set sees more of the crossing (32 -> 36, worked on the tiny scene)
    assert default == 32.0
    assert assess(p, _sets("45;165;285")).objective == 36.0


@pytest.mark.parametrize("phase", ["one", 0, 1.5, -1, np.nan, True])
def test_bad_phase_is_an_error(tiny, phase):
    sets = _sets("0;120;240", phase=pd_object([phase]))
    with pytest.raises(
        InputError, match=r"column 'phase' has 1 value\(s\) that are not whole numbers >= 1 \(row 0"
    ):
        assess(_pole_problem(tiny), sets)


def pd_object(values):
    import pandas as pd

    return pd.Series(values, dtype=object)


@pytest.mark.parametrize(("phase", "want"), [(2, 2), (2.0, 2), ("3", 3)])
def test_good_phase_is_kept(tiny, phase, want):
    plan = assess(_pole_problem(tiny), _sets("0;120;240", phase=pd_object([phase])))
    assert plan.new_cameras["phase"].tolist() == [want]


def test_saved_plan_with_bad_headings_is_refused_and_the_file_kept(tiny, tmp_path):
    path = tmp_path / "plan.geojson"
    sets = _sets("0;120;240").to_crs(4326)
    sets.loc[0, "headings_deg"] = "north"
    sets.to_file(path, driver="GeoJSON")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with pytest.raises(InputError, match=r"row 0: 'north'"):
        assess(_pole_problem(tiny), gpd.read_file(path))
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_saved_plan_read_back_gives_the_same_coverage(tiny, tmp_path):
    p = _pole_problem(tiny)
    plan = solve(p)
    new = plan.new_cameras.copy()
    new["headings_deg"] = [";".join(f"{h:g}" for h in t) for t in new["headings_deg"]]
    path = tmp_path / "plan.geojson"
    new.to_crs(4326).to_file(path, driver="GeoJSON")
    before = path.read_bytes()
    again = assess(p, gpd.read_file(path))
    assert again.objective == pytest.approx(plan.objective)
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- Plan.meta['crs']
def test_plan_meta_names_the_working_crs(tiny):
    p = _pole_problem(tiny)
    plan = solve(p)
    assert plan.meta["crs"] == "EPSG:2326"
    assert plan.meta["crs"] == ":".join(plan.crs.to_authority())
    assert 0 < plan.meta["memory_estimate_gib"] < 0.01  # 40 demand points, 3 poles
    assert assess(p, _sets(None)).meta["crs"] == "EPSG:2326"


def test_meta_crs_of_the_sample_city_is_its_scene_crs(sample_scene):
    est = estimate_problem_size(Problem(sample_scene, cov.CameraSet(), budget=5))
    assert math.isfinite(est.gib)
    plan = solve(
        Problem(
            sample_scene,
            cov.CameraSet(),
            budget=5,
            method="greedy",
            spacing_m=40,
            candidate_spacing_m=400,
            occlusion=False,
        )
    )
    assert plan.meta["crs"] == sample_scene.crs.to_string()


def test_coverage_matrix_refuses_a_million_rotations_fast():
    cs = cov.CameraSet(rotations=10**12)
    sites = np.column_stack([np.arange(50.0), np.zeros(50)])
    msg = _timed_refusal(
        lambda: coverage_matrix(sites, [[0.0, 10.0]], cs), r"coverage_matrix: the 'rotations'"
    )
    assert "50,000,000,000,000 candidate rows (50 sites x rotations)" in msg
    assert "GiB" in msg


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (
            {"relative_headings_deg": "abc"},
            r"'relative_headings_deg'.*one finite heading per camera",
        ),
        ({"relative_headings_deg": [0, np.inf, 3]}, r"'relative_headings_deg'"),
        ({"min_range_m": 50.0}, r"'min_range_m'.*\(50 m\) must be below range_m \(40 m\)"),
        ({"min_range_m": 40.0}, r"must be below range_m"),
        ({"rotations": True}, r"'rotations' parameter of CameraSet"),
        ({"rotations": "north"}, r"'rotations'.*'corridors'"),
        ({"range_m": np.inf}, r"'range_m' parameter of CameraSet"),
    ],
)
def test_bad_camera_set_arguments(kw, match):
    with pytest.raises(ParameterError, match=match):
        cov.CameraSet(**kw)


def test_blind_zone_just_inside_the_range_still_sees_the_ring():
    cs = cov.CameraSet(cameras=1, hfov_deg=360, range_m=40, min_range_m=39.0, rotations=1)
    assert cs.quality([38.9, 39.0, 40.0, 40.1]).tolist() == [0.0, 1.0, 1.0, 0.0]


# --------------------------------------------------------------------------- given points
def _nan_point_frame(frame, row):
    out = frame.copy()
    out.loc[row, "geometry"] = Point(np.nan, np.nan)
    return out


def test_pole_with_nan_coordinates(tiny):
    p = _pole_problem(tiny, poles=_nan_point_frame(tiny_poles(), 1))
    with pytest.raises(InputError, match=r"poles.*NaN or infinite coordinates \(rows \[1\]\)"):
        solve(p)


def test_repeated_poles_are_refused(tiny):
    poles = gpd.GeoDataFrame(geometry=[tiny_poles().geometry[0]] * 3, crs="EPSG:2326")
    with pytest.raises(InputError, match=r"repeat 2 position\(s\) \(rows \[1, 2\]"):
        solve(_pole_problem(tiny, poles=poles))


@pytest.mark.parametrize(
    ("geom", "match"),
    [
        (Point(np.nan, np.nan), r"NaN or infinite coordinates \(rows \[1\]\)"),
        (Point(), r"not non-empty Points \(rows \[1\]\)"),
        (LineString([(X0, Y0), (X0 + 1, Y0)]), r"not non-empty Points \(rows \[1\]\)"),
    ],
)
def test_own_demand_with_bad_points(tiny, geom, match):
    demand = gpd.GeoDataFrame(
        {"weight": [1.0, 2.0]}, geometry=[Point(X0 + 100, Y0 + 110), geom], crs="EPSG:2326"
    )
    with pytest.raises(InputError, match=r"'demand' parameter of Problem: 1 of the demand points"):
        _pole_problem(tiny, demand=demand)
    with pytest.raises(InputError, match=match):
        _pole_problem(tiny, demand=demand)


@pytest.mark.parametrize(
    ("geom", "crs", "match"),
    [
        (Point(np.nan, np.nan), "EPSG:2326", r"NaN or infinite coordinates \(rows \[1\]\)"),
        (None, "EPSG:2326", r"not non-empty Points \(rows \[1\]\)"),
        (LineString([(X0, Y0), (X0 + 1, Y0)]), "EPSG:2326", "not non-empty Points"),
        (Point(22.3, 114.17), "EPSG:4326", "longitude and latitude swapped"),
    ],
)
def test_assess_sets_with_bad_points(tiny, geom, crs, match):
    good = gpd.GeoSeries([tiny_poles().geometry[0]], crs="EPSG:2326").to_crs(crs).iloc[0]
    sets = gpd.GeoDataFrame({"headings_deg": ["0;120;240"] * 2}, geometry=[good, geom], crs=crs)
    with pytest.raises(InputError, match=match):
        assess(_pole_problem(tiny), sets)


def test_corridor_with_nan_vertex_named_before_sampling(tiny):
    L = tiny_layers()
    corr = L["corridors"].copy()
    with np.errstate(invalid="ignore"):
        corr.loc[2] = [1.0, "bad", LineString([(X0, Y0), (np.nan, Y0 + 5), (X0 + 10, Y0)])]
    try:
        with np.errstate(invalid="ignore"):  # shapely warns while the scene repairs geometry
            scene = cov.Scene(L["districts"], corr, name="nan")
    except InputError as exc:  # the scene's own coordinate check got there first
        refused = str(exc)
    else:
        refused = ""
        for run in (
            lambda: sample_demand(scene),
            lambda: solve(Problem(scene, cov.CameraSet(), budget=1)),
        ):
            with pytest.raises(
                InputError, match=r"corridors layer has 1 line\(s\) with NaN"
            ) as info:
                run()
            assert "rows [2]" in str(info.value)
        return
    assert "corridors" in refused


# --------------------------------------------------------------------------- quota keys as text
def _numbered_scene():
    L = tiny_layers()
    districts = L["districts"].assign(name=["1", "2"])  # West = "1", East = "2"
    return cov.Scene(districts, L["corridors"], buildings=L["buildings"], name="numbered")


def test_quota_key_as_int_matches_a_text_district_name():
    plan = solve(_pole_problem(_numbered_scene(), quotas={2: (2, 2)}))
    assert plan.meta["quotas"] == {"2": (2, 2)}
    assert (plan.new_cameras["district"].astype(str) == "2").sum() == 2


def test_quota_given_as_int_and_text_is_one_district_twice():
    with pytest.raises(ParameterError, match=r"district\(s\) \['2'\] more than once"):
        _pole_problem(_numbered_scene(), quotas={2: (1, None), "2": (0, 1)})


def test_quota_keys_of_mixed_types_unknown_is_a_clear_error():
    with pytest.raises(ParameterError, match=r"unknown district\(s\) \['9', 'x'\]"):
        _pole_problem(_numbered_scene(), quotas={9: (0, 1), "x": (0, 1)})


def test_assess_counts_the_given_sets_in_the_estimate(tiny):
    p = _pole_problem(tiny)
    base = estimate_problem_size(p)
    more = estimate_problem_size(p, given_sets=1000)
    assert more.rows == base.rows + 1000
    assert more.pairs > base.pairs
    sets = gpd.GeoDataFrame(geometry=[tiny_poles().geometry[0]] * 10, crs="EPSG:2326")
    tight = _pole_problem(tiny, max_memory_gb=base.gib * 1.0001)
    assert solve(tight).objective > 0  # the plan alone fits
    _timed_refusal(lambda: assess(tight, sets), r"assess: the '\w+' parameter makes")


# --------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def hk_scene(hk_path):
    return cov.datasets.hong_kong(hk_path)


def test_hong_kong_estimate_counts_the_real_demand(hk_scene):
    p = Problem(hk_scene, cov.CameraSet(), budget=50)
    est = estimate_problem_size(p)
    lengths = hk_scene.corridors.length.to_numpy()
    assert est.demand_points == float(np.maximum(np.ceil(lengths / 10.0 - 0.5), 1).sum())
    assert est.gib < 1.0  # the default Hong Kong problem is far from any limit


def test_hong_kong_territory_incidents_refuse_a_5_m_bandwidth_fast(hk_scene):
    msg = _timed_refusal(
        lambda: sample_demand(hk_scene, bandwidth_m=5.0),
        r"'bandwidth_m' parameter of sample_demand",
    )
    hint = float(msg.rsplit("bandwidth_m >= ", 1)[1].split()[0])
    pxy = np.asarray(hk_scene.hotspots.get_coordinates())
    ext = pxy.max(axis=0) - pxy.min(axis=0)
    # independent: a grid of cell h (pad 4 h a side, 3 more nodes) fits 20 M cells at the hint
    assert (ext[0] / hint + 11) * (ext[1] / hint + 11) <= 20_000_000
    assert (ext[0] / (hint * 0.98) + 11) * (ext[1] / (hint * 0.98) + 11) > 20_000_000


# --------------------------------------------------------------------------- visibility arguments
_BOX = np.array([box(10, -5, 20, 5)], dtype=object)
_ONE = cov.CameraSet(cameras=1, hfov_deg=90, range_m=40, rotations=1)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"range_m": 0}, r"'range_m' parameter of isovists"),
        ({"range_m": np.inf}, r"'range_m' parameter of isovists"),
        (
            {"range_m": 10, "n_rays": 0},
            r"'n_rays' parameter of isovists must be an int in \[3, 100000\]",
        ),
        ({"range_m": 10, "n_rays": 10**9}, r"'n_rays'"),
        ({"range_m": 10, "clearance_m": np.nan}, r"'clearance_m'"),
    ],
)
def test_bad_isovist_arguments_fast(kw, match):
    _timed_refusal(lambda: isovists([[0.0, 0.0]], _BOX, **kw), match)


@pytest.mark.parametrize(
    ("heads", "match"), [([[np.inf]], "has infinite values"), ([["north"]], "must be numbers")]
)
def test_bad_view_headings(heads, match):
    with pytest.raises(InputError, match=rf"view_sectors: headings_deg {match}"):
        view_sectors([[0.0, 0.0]], heads, _ONE)
    with pytest.raises(InputError, match=match):
        privacy_intrusion([[0.0, 0.0]], heads, _ONE, _BOX)


def test_nan_view_heading_is_an_empty_slot():
    assert view_sectors([[0.0, 0.0]], [[np.nan]], _ONE)[0][0].is_empty


def test_privacy_intrusion_worked_by_hand():
    # camera at the origin facing east (90°, 90° wide, 40 m): the box x 10..20, y -5..5 lies
    # inside the wedge |y| <= x, so all 10 x 10 = 100 m² are seen
    assert privacy_intrusion([[0.0, 0.0]], [[90.0]], _ONE, _BOX).tolist() == [[100.0]]


def test_in_sector_needs_a_real_field_of_view():
    with pytest.raises(ParameterError, match=r"'hfov_deg' parameter of in_sector"):
        in_sector([10.0], [0.0], np.nan)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"clearance_m": np.nan}, r"'clearance_m' parameter of coverage_matrix"),
        ({"clearance_m": -1}, r"'clearance_m' parameter of coverage_matrix"),
        ({"privacy_n_rays": 0}, r"'privacy_n_rays' parameter of coverage_matrix"),
        ({"privacy_n_rays": 10**8}, r"'privacy_n_rays'"),
        ({"workers": 0}, r"'workers' parameter"),
    ],
)
def test_bad_coverage_matrix_options(kw, match):
    with pytest.raises(ParameterError, match=match):
        coverage_matrix([[0.0, 0.0]], [[10.0, 0.0]], _ONE, buildings=_BOX, **kw)


def test_direct_calls_with_tiny_spacings_are_refused_fast(sample_scene):
    from coverage.candidates import candidate_sites

    msg = _timed_refusal(
        lambda: sample_demand(sample_scene, spacing_m=1e-4),
        r"'spacing_m' parameter of sample_demand",
    )
    km = sample_scene.corridors.length.sum() / 1000
    assert f"{km:,.0f} km of corridors" in msg
    _timed_refusal(
        lambda: candidate_sites(sample_scene, candidate_spacing_m=1e-4),
        r"'candidate_spacing_m' parameter of candidate_sites",
    )


def test_stray_incident_far_away_is_refused_not_allocated(sample_scene):
    inc = sample_scene.hotspots[["geometry"]].copy()
    inc.loc[len(inc) + 10] = [Point(361000.0 + 1e12, 2461000.0)]
    msg = _timed_refusal(
        lambda: hotspot_polygons(inc, bandwidth_m=150.0),
        "'bandwidth_m' parameter of hotspot_polygons",
    )
    assert "look for stray points" in msg
    assert "1,000,000,00" in msg  # the extent, in metres
