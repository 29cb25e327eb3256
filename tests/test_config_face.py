"""TOML for the objective mix, the face criterion and privacy rules by tier (issue 14)."""

from __future__ import annotations

import pytest

from coverage.config import TEMPLATE, load_config
from coverage.criteria import FaceCriterion, ObjectiveTerm, PrivacyRule
from coverage.errors import ConfigError

CAMERA = """
[camera]
cameras = 2
hfov_deg = 30
resolution_px = 3840
mount_height_m = 5
range_m = 40
"""


def _write(tmp_path, body: str):
    p = tmp_path / "plan.toml"
    p.write_text('[scene]\ndataset = "sample_city"\n' + CAMERA + body, encoding="utf-8")
    return p


def test_objective_face_and_rules_reach_the_problem(tmp_path, sample_scene):
    p = _write(
        tmp_path,
        """
[objective]
"risk >= 0.5" = { criterion = "face", weight = 2 }
default = "detect"

[face]
max_down_deg = 20
max_yaw_deg = 45

[[privacy.rules]]
category = "residential"
max_tier = "observe"

[[privacy.rules]]
category = "school"
max_tier = "detect"
""",
    )
    problem = load_config(p).build_problem(sample_scene)
    assert problem.objective == (
        ObjectiveTerm("risk >= 0.5", "face", 2.0),
        ObjectiveTerm("default", "detect", 1.0),
    )
    assert problem.face == FaceCriterion(max_down_deg=20, max_yaw_deg=45)
    assert problem.privacy_rules == (
        PrivacyRule("residential", "observe"),
        PrivacyRule("school", "detect"),
    )


def test_without_the_sections_the_problem_is_todays(tmp_path, sample_scene):
    problem = load_config(_write(tmp_path, "")).build_problem(sample_scene)
    assert problem.objective is None
    assert problem.privacy_rules is None
    assert problem.face == FaceCriterion()


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("[objective]\ndefault = 3\n", r"\[objective\] 'default' must be a criterion"),
        (
            '[objective]\ndefault = { criterion = "face", weights = 2 }\n',
            r"\[objective\] 'default' must be a criterion",
        ),
        ('[[privacy.rules]]\ncategory = "home"\n', r"\[\[privacy.rules\]\] rule 1 must have"),
        ("[face]\nmax_yaw = 30\n", r"\[face\] unknown key 'max_yaw'"),
    ],
)
def test_bad_sections_are_named(tmp_path, body, match):
    with pytest.raises(ConfigError, match=match):
        load_config(_write(tmp_path, body))


@pytest.mark.parametrize(
    ("body", "section", "match"),
    [
        ('[objective]\ndefault = "faces"\n', "objective", "criterion 'faces'"),
        (
            '[[privacy.rules]]\ncategory = "home"\nmax_tier = "watch"\n',
            "privacy",
            "max_tier 'watch' is not a tier",
        ),
        ("[face]\nmax_down_deg = 95\n", "face", "'max_down_deg' parameter of FaceCriterion"),
    ],
)
def test_values_refused_by_the_problem_name_their_section(
    tmp_path, sample_scene, body, section, match
):
    cfg = load_config(_write(tmp_path, body))
    with pytest.raises(ConfigError, match=rf"\[{section}\]: .*{match}"):
        cfg.build_problem(sample_scene)


def test_template_documents_the_sections():
    for line in ("# [objective]", "# [face]", "# [[privacy.rules]]", '# max_tier = "observe"'):
        assert line in TEMPLATE
