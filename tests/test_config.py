"""TOML configurations: the template, the checks and what they build (no subprocess)."""

from __future__ import annotations

from pathlib import Path

import pytest

import coverage as cov
from coverage.config import TEMPLATE, load_config


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_template_is_a_valid_configuration(tmp_path: Path):
    cfg = load_config(_write(tmp_path, TEMPLATE))
    assert cfg.scene["dataset"] == "sample_city"
    assert cfg.plan["seed"] == 0
    assert cfg.folder == (tmp_path / "out" / "plan").resolve()
    assert cfg.quotas is None


def test_every_problem_is_reported_at_once(tmp_path: Path):
    p = _write(
        tmp_path,
        '[scene]\ndataset = "atlantis"\n[camera]\nhfov_deg = "wide"\n'
        '[plan]\nbudget = [1, "two"]\n[output]\nformat = "shp"\n[extra]\n',
    )
    with pytest.raises(cov.errors.ConfigError) as info:
        load_config(p)
    text = str(info.value)
    assert str(p) in text
    assert "unknown section [extra]" in text
    assert "[camera] hfov_deg must be a number; got 'wide'" in text
    assert "[output] unknown key 'format'" in text
    assert '[scene] dataset must be "sample_city" or "hong_kong"' in text
    assert "[plan] budget must be an integer or a list of integers" in text


def test_scene_needs_a_dataset_or_the_two_required_files(tmp_path: Path):
    with pytest.raises(cov.errors.ConfigError, match=r"districts = .* and corridors = "):
        load_config(_write(tmp_path, '[scene]\ndistricts = "d.gpkg"\n'))


def test_missing_file_and_bad_toml(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="coverage init"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(cov.errors.ConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "[scene\n"))


def test_quotas_are_checked(tmp_path: Path):
    base = '[scene]\ndataset = "sample_city"\n[quotas]\n'
    cfg = load_config(_write(tmp_path, base + '"A" = { min = 1, max = 3 }\n"B" = { max = 2 }\n'))
    assert cfg.quotas == {"A": (1, 3), "B": (None, 2)}
    with pytest.raises(cov.errors.ConfigError, match=r"\[quotas\] 'A': min must be integers >= 0"):
        load_config(_write(tmp_path, base + '"A" = { min = -1 }\n'))
    with pytest.raises(cov.errors.ConfigError, match=r"\[quotas\] 'A' must be a table like"):
        load_config(_write(tmp_path, base + '"A" = { least = 1 }\n'))


def test_build_problem_maps_seed_to_rng_and_phases_to_a_tuple(tmp_path: Path):
    cfg = load_config(
        _write(
            tmp_path,
            '[scene]\ndataset = "sample_city"\n[camera]\ncameras = 2\nrange_m = 30\n'
            '[plan]\nbudget = [3, 2]\nseed = 7\nmethod = "greedy"\n',
        )
    )
    problem = cfg.build_problem()
    assert problem.rng == 7
    assert problem.budget == (3, 2)
    assert problem.camera.n_cameras == 2 and problem.camera.range_m == 30


def test_values_the_models_refuse_name_the_section(tmp_path: Path):
    cfg = load_config(
        _write(tmp_path, '[scene]\ndataset = "sample_city"\n[camera]\nhfov_deg = -5\n')
    )
    with pytest.raises(cov.errors.ConfigError, match=r"\[camera\].*hfov_deg"):
        cfg.build_camera()


def test_template_makes_the_user_choose_dataset_or_files(tmp_path: Path):
    assert "Choose ONE source" in TEMPLATE and "DELETE the dataset line" in TEMPLATE
    files = TEMPLATE.replace('# districts = "districts.gpkg"', 'districts = "d.gpkg"').replace(
        '# corridors = "streets.geojson"', 'corridors = "c.gpkg"'
    )
    with pytest.raises(cov.errors.ConfigError, match=r"are both given.*delete the dataset line"):
        load_config(_write(tmp_path, files))
    cfg = load_config(_write(tmp_path, files.replace('dataset = "sample_city"\n', "")))
    assert cfg.scene_files() == {
        "districts": (tmp_path / "d.gpkg").resolve(),
        "corridors": (tmp_path / "c.gpkg").resolve(),
    }
    assert cfg.input_paths()[0] == (tmp_path / "c.toml").resolve()


def test_one_problem_is_one_line(tmp_path: Path):
    p = _write(tmp_path, '[scene]\ndataset = "sample_city"\n[plan]\nseed = -3\n')
    with pytest.raises(cov.errors.ConfigError) as info:
        load_config(p)
    assert str(info.value) == (f"{p}: [plan] seed must be an integer >= 0 (any will do); got -3")


def test_bom_accepted_and_latin1_refused(tmp_path: Path):
    p = tmp_path / "c.toml"
    p.write_bytes(b'\xef\xbb\xbf[scene]\ndataset = "sample_city"\n')
    assert load_config(p).scene["dataset"] == "sample_city"
    p.write_bytes('[scene]\ndataset = "sample_city"\nname = "Café"\n'.encode("latin-1"))
    with pytest.raises(cov.errors.ConfigError, match=r"line 3: not UTF-8.*save the file as UTF-8"):
        load_config(p)
    with pytest.raises(cov.errors.ConfigError, match="is a folder"):
        load_config(tmp_path)


def test_new_keys_are_checked(tmp_path: Path):
    base = '[scene]\ndataset = "sample_city"\n'
    cfg = load_config(
        _write(tmp_path, base + "allow_network = true\n[plan]\nmax_memory_gb = 1.5\n")
    )
    assert cfg.scene["allow_network"] is True and cfg.plan["max_memory_gb"] == 1.5
    with pytest.raises(cov.errors.ConfigError, match=r"max_memory_gb must be a number of GiB > 0"):
        load_config(_write(tmp_path, base + "[plan]\nmax_memory_gb = -1\n"))


def test_plan_assumption_keys_reach_the_problem(tmp_path: Path):
    text = TEMPLATE.replace('# unknown_heading = "along_corridor"', 'unknown_heading = "ignore"')
    text = text.replace("# snap_m = 25", "snap_m = 12.5")
    cfg = load_config(_write(tmp_path, text))
    problem = cfg.build_problem(scene=cov.datasets.sample_city())
    assert (problem.unknown_heading, problem.snap_m) == ("ignore", 12.5)
    bad = TEMPLATE.replace('# unknown_heading = "along_corridor"', 'unknown_heading = "north"')
    with pytest.raises(cov.errors.ConfigError, match="along_corridor"):
        load_config(_write(tmp_path, bad)).build_problem(scene=cov.datasets.sample_city())


def test_roadmap_and_partners_sections(tmp_path: Path):
    p = _write(
        tmp_path,
        '[scene]\ndataset = "sample_city"\n[plan]\nmethod = "greedy"\n'
        "[roadmap]\nyears = [20, 20, 10]\nlabels = [2025, 2026, 2027]\ntarget_share = 0.3\n"
        '[partners]\nowners = ["MTR"]\ntop = 3\nsavings = false\n',
    )
    cfg = load_config(p)
    assert cfg.roadmap == {"years": [20, 20, 10], "labels": [2025, 2026, 2027], "target_share": 0.3}
    assert cfg.partners == {"owners": ["MTR"], "top": 3, "savings": False}
    problem = cfg.build_problem()
    assert problem.budget == (20, 20, 10)  # the years are the phases
    assert load_config(_write(tmp_path, '[scene]\ndataset = "sample_city"\n')).roadmap is None


def test_roadmap_and_partners_problems_are_named(tmp_path: Path):
    p = _write(
        tmp_path,
        '[scene]\ndataset = "sample_city"\n[plan]\nbudget = 10\n'
        "[roadmap]\nyears = [20, 0]\nlabels = [1]\ntarget_share = 1.5\nsets = 3\n"
        '[partners]\nowners = ["MTR", 3]\ntop = -1\n',
    )
    with pytest.raises(cov.errors.ConfigError) as info:
        load_config(p)
    text = str(info.value)
    assert "[roadmap] years must be a list of integers >= 1; got [20, 0]" in text
    assert "[roadmap] labels must give one label per year (2); got 1" in text
    assert "[roadmap] target_share must be a share in (0, 1]; got 1.5" in text
    assert "[roadmap] unknown key 'sets'" in text
    assert "[plan] budget and [roadmap] years both give the budget" in text
    assert "[partners] owners must be a list of owner names" in text
    assert "[partners] top must be an integer >= 0; got -1" in text
    with pytest.raises(cov.errors.ConfigError, match=r"\[roadmap\] needs years"):
        load_config(_write(tmp_path, '[scene]\ndataset = "sample_city"\n[roadmap]\n'))
