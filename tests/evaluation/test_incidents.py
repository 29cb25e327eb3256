"""incident_coverage: which incident locations the tiny plan watches, worked on paper."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from conftest import X0, Y0, tiny_layers
from shapely.geometry import Point

import coverage as cov
from coverage.evaluation import evaluate, incident_coverage

CRS = "EPSG:2326"


def P(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


INCIDENTS = [  # (x, y, category, seen before, seen after, district)
    (30, 100, "theft", True, True, "West"),  # existing set, east camera
    (5, 150, "theft", False, False, "West"),  # 50 m away
    (150, 100, "theft", False, True, "East"),  # B, east camera
    (100, 115, "assault", False, False, "East"),  # B's west camera, behind the building
    (100, 170, "", False, False, "East"),  # only C N-S would see it
]


def _incidents() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"category": [i[2] for i in INCIDENTS], "weight": 1.0},
        geometry=[P(i[0], i[1]) for i in INCIDENTS],
        crs=CRS,
    )


def test_incidents_covered_on_paper(tiny_plan, scene_with):
    _, plan = tiny_plan  # the layout solved without incidents, evaluated with them
    scene = scene_with(tiny_layers(), hotspots=_incidents())
    inc = incident_coverage(scene, plan)
    assert inc["covered_before"].tolist() == [i[3] for i in INCIDENTS]
    assert inc["covered"].tolist() == [i[4] for i in INCIDENTS]
    assert inc["district"].tolist() == [i[5] for i in INCIDENTS]
    report = evaluate(scene, plan, continuity=False)
    d = report.districts.set_index("district")
    assert d.loc[
        "West", ["incidents", "incidents_covered_before", "incidents_covered"]
    ].tolist() == [
        2,
        1,
        1,
    ]
    assert d.loc[
        "East", ["incidents", "incidents_covered_before", "incidents_covered"]
    ].tolist() == [
        3,
        0,
        1,
    ]
    assert report.total["incidents_covered"] == 2
    long = report.incidents.set_index(["district", "category"])
    assert long.loc[("East", "assault"), "covered"] == 0
    assert long.loc[("East", "theft"), "covered"] == 1
    assert long.loc[("East", "(no category)"), "incidents"] == 1
    assert long.loc[("West", "theft"), ["incidents", "covered_before", "covered"]].tolist() == [
        2,
        1,
        1,
    ]


def test_incident_behind_building_seen_without_occlusion(tiny_plan, tiny_problem, scene_with):
    layers = tiny_layers()
    base = scene_with(layers)
    plan = cov.solve(tiny_problem(base, 1, occlusion=False))
    scene = scene_with(layers, hotspots=_incidents())
    inc = incident_coverage(scene, plan)
    assert inc["covered"].tolist() == [True, False, True, True, False]


@pytest.mark.parametrize(
    "camera",
    [
        cov.CameraSet(cameras=2, hfov_deg=90, range_m=40, rotations=2),  # the tiny plans'
        cov.CameraSet(
            cameras=2, hfov_deg=70, range_m=35, relative_headings_deg=(30, 210), rotations=3
        ),
        cov.CameraSet(cameras=3, hfov_deg=90, range_m=40, rotations=2),
    ],
)
def test_incidents_at_demand_points_match_the_plan(camera, tiny_problem, scene_with):
    """Incidents placed on the demand points are watched exactly where the demand is."""
    layers = tiny_layers()
    base = scene_with(layers)
    plan = cov.solve(tiny_problem(base, 2, camera=camera))
    pts = gpd.GeoDataFrame(geometry=plan.demand.geometry.values, crs=CRS)
    scene = scene_with(layers, hotspots=pts)
    inc = incident_coverage(scene, plan)
    np.testing.assert_allclose(inc["quality"].to_numpy(), plan.demand["quality"].to_numpy())
    existing = plan.matrix.fixed
    before = (plan.matrix.A[existing].toarray() > 0).any(axis=0)
    assert inc["covered_before"].tolist() == before.tolist()


def test_no_point_hotspots_gives_zero_incidents(tiny_plan):
    scene, plan = tiny_plan
    inc = incident_coverage(scene, plan)
    assert len(inc) == 0
    report = evaluate(scene, plan, continuity=False)
    assert report.total["incidents"] == 0
    assert (report.districts["incidents"] == 0).all()


# ------------------------------------------------------------- per phase and year of data
YEARS = [2019, 2020, 2020, 2019, 2020]


def _phased_layout(scene_with, tiny_problem, years):
    """Assess B (130, 100) east-west in phase 1 and C (100, 160) north-south in phase 2."""
    hs = _incidents()
    hs["year"] = years
    scene = scene_with(tiny_layers(), hotspots=hs)
    sets = gpd.GeoDataFrame(
        {"headings_deg": ["90;270", "0;180"], "phase": [1, 2]},
        geometry=[P(130, 100), P(100, 160)],
        crs=CRS,
    )
    return scene, cov.plan.assess(tiny_problem(scene, 2), sets)


def test_incidents_by_phase_on_paper(scene_with, tiny_problem):
    from coverage.evaluation import incidents_by_phase

    scene, plan = _phased_layout(scene_with, tiny_problem, YEARS)
    t = incidents_by_phase(scene, plan)
    got = {
        (r.category, r.year, r.stage): (r.incidents, r.watched) for r in t.itertuples(index=False)
    }
    # worked on paper: (30, 100) is the existing set's, (150, 100) B's, (100, 170) C's only
    assert got == {
        ("(no category)", 2020, "existing"): (1, 0),
        ("(no category)", 2020, "phase 1"): (1, 0),
        ("(no category)", 2020, "phase 2"): (1, 1),
        ("assault", 2019, "existing"): (1, 0),
        ("assault", 2019, "phase 1"): (1, 0),
        ("assault", 2019, "phase 2"): (1, 0),
        ("theft", 2019, "existing"): (1, 1),
        ("theft", 2019, "phase 1"): (1, 1),
        ("theft", 2019, "phase 2"): (1, 1),
        ("theft", 2020, "existing"): (2, 0),
        ("theft", 2020, "phase 1"): (2, 1),
        ("theft", 2020, "phase 2"): (2, 1),
    }
    assert t["share"].tolist() == pytest.approx((t["watched"] / t["incidents"]).tolist())
    # the last stage agrees with incident_coverage's "covered"
    inc = incident_coverage(scene, plan)
    assert int(t.loc[t["phase"] == 2, "watched"].sum()) == int(inc["covered"].sum())


def test_incidents_by_phase_years_from_dates_or_none(scene_with, tiny_problem):
    from coverage.errors import InputError
    from coverage.evaluation import incidents_by_phase

    dates = [f"{y}-06-0{k + 1}" for k, y in enumerate(YEARS)]
    scene, plan = _phased_layout(scene_with, tiny_problem, dates)
    t = incidents_by_phase(scene, plan)
    assert sorted(set(t["year"])) == [2019, 2020]
    one = incidents_by_phase(scene, plan, year_column=None)
    assert set(one["year"]) == {"all"}
    assert one.groupby("stage")["watched"].sum().to_dict() == {
        "existing": 1,
        "phase 1": 2,
        "phase 2": 3,
    }
    bad, plan_bad = _phased_layout(scene_with, tiny_problem, [2019, "soon", 2020, 2019, 2020])
    with pytest.raises(InputError, match=r"column 'year': 1 value\(s\).*rows \[1\]"):
        incidents_by_phase(bad, plan_bad)


def test_incidents_by_phase_stage_labels(scene_with, tiny_problem):
    from coverage.errors import ParameterError
    from coverage.evaluation import incidents_by_phase

    scene, plan = _phased_layout(scene_with, tiny_problem, YEARS)
    t = incidents_by_phase(scene, plan, phase_labels=[2025, 2026])
    assert t.drop_duplicates("phase")["stage"].tolist() == ["existing", "after 2025", "after 2026"]
    with pytest.raises(ParameterError, match="must give 2 distinct labels"):
        incidents_by_phase(scene, plan, phase_labels=[2025])


def test_incidents_by_phase_without_point_incidents_is_empty(tiny_plan, scene_with):
    from shapely.geometry import box as square

    from coverage.evaluation import incidents_by_phase

    _, plan = tiny_plan
    zones = gpd.GeoDataFrame(
        {"intensity": [1.0]}, geometry=[square(X0 + 10, Y0 + 90, X0 + 40, Y0 + 110)], crs=CRS
    )
    scene = scene_with(tiny_layers(), hotspots=zones)  # polygon hotspots: no incidents to count
    t = incidents_by_phase(scene, plan)
    assert len(t) == 0
    cols = ["category", "year", "phase", "stage", "incidents", "watched", "share"]
    assert list(t.columns) == cols
