"""plan_camera_set: the camera set a plan was solved with."""

from __future__ import annotations

import types

import pytest

from coverage.evaluation import plan_camera_set


def test_camera_set_is_read_from_the_plan(tiny_plan, camera):
    _, plan = tiny_plan
    assert plan_camera_set(plan) == camera
    fake = types.SimpleNamespace(cameras=plan.cameras, meta={})
    rebuilt = plan_camera_set(fake)  # from the table: 2 cameras 180 degrees apart
    assert rebuilt.relative_headings_deg == (0.0, 180.0)
    assert rebuilt.range_m == 40.0
    with pytest.raises(TypeError, match="CameraSet"):
        plan_camera_set(plan, "tri-90")
