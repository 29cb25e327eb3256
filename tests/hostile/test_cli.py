"""Hostile command lines and configurations: a clear error (exit 2) or the right result, never
a traceback, and nothing of the user's changed. The CLI runs in this process (fast)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from hostile._cli_project import (
    CONFIG,
    assert_clear_error,
    assert_kept,
    leftovers,
    new_project,
    run,
    tree,
)

import coverage.errors as errors


def _edit(cfg: Path, old: str, new: str) -> Path:
    text = cfg.read_text(encoding="utf-8")
    assert old in text
    cfg.write_text(text.replace(old, new, 1), encoding="utf-8")
    return cfg


# ------------------------------------------------------------- bad configurations
BAD_CONFIGS = {
    "negative seed": (
        ("[plan]\n", "[plan]\nseed = -1\n"),
        ["[plan] seed must be an integer >= 0", "got -1"],
    ),
    "layer not in its file": (
        ("[camera]", '[scene.layers]\ndistricts = "wards"\n\n[camera]'),
        ["[scene.layers] districts", "'wards' is not a layer of", "its layers are 'districts'"],
    ),
    "layers: unknown scene layer": (
        ("[camera]", '[scene.layers]\nstreets = "x"\n\n[camera]'),
        ["[scene.layers] unknown layer 'streets'", "the scene layers are"],
    ),
    "layers: a number, not a name": (
        ("[camera]", "[scene.layers]\ndistricts = 3\n\n[camera]"),
        ["[scene.layers] districts must be a layer name"],
    ),
    "layers: layer without its file": (
        ("[camera]", '[scene.layers]\nhotspots = "h"\n\n[camera]'),
        ["[scene.layers] hotspots names a layer, but [scene] has no hotspots"],
    ),
    "rename: not a table": (
        ("[camera]", '[scene.rename]\ndistricts = "name"\n\n[camera]'),
        ['[scene.rename] districts must be a table of old = "new" column names'],
    ),
    "rename: value not a string": (
        ("[camera]", "[scene.rename.districts]\nNAME = 1\n\n[camera]"),
        ["[scene.rename] districts must be a table"],
    ),
    "rename: unknown layer": (
        ("[camera]", '[scene.rename.wards]\nNAME = "name"\n\n[camera]'),
        ["[scene.rename] unknown layer 'wards'"],
    ),
    "dataset and files": (
        ("[scene]\n", '[scene]\ndataset = "sample_city"\n'),
        ["dataset = 'sample_city' and districts, corridors", "delete the dataset line"],
    ),
    "dataset and rename": (
        (
            '[scene]\ndistricts = "districts.gpkg"\ncorridors = "corridors.gpkg"\n'
            'buildings = "buildings.gpkg"\ncameras = "cameras.gpkg"\n',
            '[scene]\ndataset = "sample_city"\n[scene.rename.districts]\nA = "name"\n',
        ),
        ["dataset = 'sample_city' and rename are both given"],
    ),
    "unknown dataset": (
        (
            '[scene]\ndistricts = "districts.gpkg"\ncorridors = "corridors.gpkg"\n'
            'buildings = "buildings.gpkg"\ncameras = "cameras.gpkg"\n',
            '[scene]\ndataset = "atlantis"\n',
        ),
        ['[scene] dataset must be "sample_city" or "hong_kong"'],
    ),
    "no scene at all": (
        (
            '[scene]\ndistricts = "districts.gpkg"\ncorridors = "corridors.gpkg"\n',
            "[scene]\n",
        ),
        ['[scene] needs dataset = "sample_city"'],
    ),
    "missing layer file": (
        ('districts = "districts.gpkg"', 'districts = "wards.gpkg"'),
        ["[scene] districts:", "wards.gpkg' does not exist", "relative to the configuration"],
    ),
    "missing poles file": (
        ('poles = "poles.geojson"', 'poles = "nope.geojson"'),
        ["[plan] poles", "does not exist"],
    ),
    "unknown key": (("[camera]\n", "[camera]\nzoom = 3\n"), ["[camera] unknown key 'zoom'"]),
    "unknown section": (("[output]", "[outputs]\n[output]"), ["unknown section [outputs]"]),
    "wrong kind": (("budget = 1", 'budget = "ten"'), ["[plan] budget must be an integer"]),
    "budget list of text": (
        ("budget = 1", 'budget = [1, "two"]'),
        ["[plan] budget must be an integer or a list of integers"],
    ),
    "value the camera refuses": (("hfov_deg = 90", "hfov_deg = -5"), ["[camera]", "hfov_deg"]),
    "max_memory_gb zero": (
        ("[plan]\n", "[plan]\nmax_memory_gb = 0\n"),
        ["[plan] max_memory_gb must be a number of GiB > 0"],
    ),
    "max_memory_gb text": (
        ("[plan]\n", '[plan]\nmax_memory_gb = "lots"\n'),
        ["[plan] max_memory_gb must be a number"],
    ),
    "allow_network text": (
        ("[camera]", 'allow_network = "yes"\n[camera]'),
        ["[scene] allow_network must be true or false"],
    ),
    "quota not a table": (
        ("[output]", '[quotas]\n"West" = 3\n[output]'),
        ["[quotas] 'West' must be a table like"],
    ),
    "output folder a number": (
        ('folder = "out"', "folder = 5"),
        ["[output] folder must be a string"],
    ),
    "not TOML": (("[camera]\n", "[camera\n"), ["not valid TOML"]),
    "section not a table": (("[scene]\n", "quotas = 3\n[scene]\n"), ["[quotas] must be a table"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_configuration_is_one_clear_error(
    case: str, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    (old, new), needles = BAD_CONFIGS[case]
    _edit(cfg, old, new)
    before = tree(cfg.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q")
    assert code == 2
    assert_clear_error(err, "plan", str(cfg), *needles)
    assert tree(cfg.parent) == before  # nothing written, nothing changed


def test_a_latin1_configuration_says_save_as_utf8(cfg: Path, capsys: pytest.CaptureFixture[str]):
    cfg.write_bytes(CONFIG.replace("[camera]", "[camera]\n# caméra\n").encode("latin-1"))
    before = tree(cfg.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q")
    assert code == 2
    line = CONFIG.split("[camera]")[0].count("\n") + 2
    assert_clear_error(
        err, "plan", f"line {line}: not UTF-8", "byte 0xe9", "save the file as UTF-8"
    )
    assert tree(cfg.parent) == before


def test_a_byte_order_mark_is_accepted(cfg: Path, capsys: pytest.CaptureFixture[str]):
    cfg.write_bytes(b"\xef\xbb\xbf" + CONFIG.encode("utf-8"))
    before = tree(cfg.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q")
    assert code == 0, err
    assert (cfg.parent / "out" / "plan.geojson").is_file()
    assert_kept(before, tree(cfg.parent))


@pytest.mark.parametrize("command", ["plan", "evaluate", "map"])
def test_a_folder_as_configuration(command: str, cfg: Path, capsys: pytest.CaptureFixture[str]):
    before = tree(cfg.parent)
    argv = (
        [command, str(cfg.parent)] if command == "plan" else [command, "x.geojson", str(cfg.parent)]
    )
    code, _, err = run(capsys, *argv, "-q")
    assert code == 2
    assert_clear_error(err, command, "is a folder, not a configuration file", "pass the .toml")
    assert tree(cfg.parent) == before


def test_a_missing_configuration_points_to_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, _, err = run(capsys, "plan", str(tmp_path / "nope.toml"), "-q")
    assert code == 2
    assert_clear_error(err, "plan", "does not exist", "coverage init")
    assert list(tmp_path.iterdir()) == []


def test_a_layer_file_that_is_not_geodata(cfg: Path, capsys: pytest.CaptureFixture[str]):
    (cfg.parent / "junk.gpkg").write_text("this is not a GeoPackage", encoding="utf-8")
    _edit(cfg, 'buildings = "buildings.gpkg"', 'buildings = "junk.gpkg"')
    before = tree(cfg.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q")
    assert code == 2
    assert_clear_error(err, "plan", "[scene]", "could not be read")
    assert tree(cfg.parent) == before


def test_argument_errors_exit_2(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as info:
        run(capsys, "plan")
    assert info.value.code == 2
    assert "coverage plan: error:" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        run(capsys, "frobnicate")
    assert info.value.code == 2


# ------------------------------------------------------------------ the template
def test_init_template_uncommented_files_do_not_plan_the_sample_city(
    tmp_path: Path, layers_dir: Path, capsys: pytest.CaptureFixture[str]
):
    cfg = new_project(layers_dir, tmp_path, "")
    cfg.unlink()
    assert run(capsys, "init", str(cfg))[0] == 0
    text = cfg.read_text(encoding="utf-8")
    # what the template suggests: uncomment the two required file lines
    text = text.replace('# districts = "districts.gpkg"', 'districts = "districts.gpkg"')
    text = text.replace('# corridors = "streets.geojson"', 'corridors = "corridors.gpkg"')
    cfg.write_text(text, encoding="utf-8")
    before = tree(cfg.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q")
    assert code == 2
    assert_clear_error(err, "plan", "dataset = 'sample_city' and districts, corridors")
    assert tree(cfg.parent) == before
    # doing what the message says (delete the dataset line) plans the user's files
    for old, new in [
        ('dataset = "sample_city"\n', ""),
        ("budget = 200", "budget = 1"),
        ('folder = "out/plan"', 'folder = "o"'),
        ("map = true", "map = false"),
        ("report = true", "report = false"),
        ('method = "auto"', 'method = "greedy"'),
    ]:
        assert old in text
        text = text.replace(old, new)
    cfg.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "plan", str(cfg), "-q")
    assert code == 0, err
    districts = (cfg.parent / "o" / "districts.csv").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split(",")[0] for line in districts[1:]) == ["East", "West"]  # tiny town


@pytest.mark.parametrize("force", [False, True])
def test_init_never_overwrites_without_force(
    force: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    cfg = tmp_path / "mine.toml"
    cfg.write_text("# my own notes\n", encoding="utf-8")
    code, _, err = run(capsys, "init", str(cfg), *(["--force"] if force else []))
    if force:
        assert code == 0, err
        assert cfg.read_text(encoding="utf-8").startswith("[scene]")
    else:
        assert code == 2
        assert_clear_error(err, "init", "already exists", "--force")
        assert cfg.read_text(encoding="utf-8") == "# my own notes\n"


def test_init_onto_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "d").mkdir()
    code, _, err = run(capsys, "init", str(tmp_path / "d"), "--force")
    assert code == 2
    assert_clear_error(err, "init", "is a folder")
    assert list((tmp_path / "d").iterdir()) == []


# ------------------------------------------------------------ the output folder
def _plan_ok(capsys: pytest.CaptureFixture[str], cfg: Path, *extra: str) -> None:
    code, _, err = run(capsys, "plan", str(cfg), "-q", *extra)
    assert code == 0, err


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize(
    ("folder", "needle"),
    [
        (".", "holds the input"),
        ("", "holds the input"),
        ("..", "holds the input"),
        ("districts.gpkg", "is one of the inputs"),
        ("poles.geojson", "is one of the inputs"),
        ("plan.toml", "is one of the inputs"),
    ],
)
def test_output_folder_never_the_users_things(
    folder: str, needle: str, force: bool, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    _edit(cfg, 'folder = "out"', f"folder = {folder!r}".replace("'", '"'))
    (cfg.parent / "notes.txt").write_text("unrelated", encoding="utf-8")
    root = cfg.parent.parent
    before = tree(root)
    code, _, err = run(capsys, "plan", str(cfg), "-q", *(["--force"] if force else []))
    assert code == 2
    assert_clear_error(err, "plan", needle, "never replaced", "Choose another --out")
    assert tree(root) == before


@pytest.mark.parametrize("out", [".", "..", ""])
def test_out_the_current_folder(
    out: str, cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    work = cfg.parent.parent / "elsewhere" / "deeper"
    work.mkdir(parents=True)
    (work / "mine.txt").write_text("keep", encoding="utf-8")
    monkeypatch.chdir(work)
    root = cfg.parent.parent
    before = tree(root)
    code, _, err = run(capsys, "plan", str(cfg), "-q", "--force", "--out", out)
    assert code == 2
    assert_clear_error(err, "plan", "is the current folder, or holds it")
    assert tree(root) == before


@pytest.mark.parametrize("where", ["root", "home"])
def test_out_root_or_home(
    where: str, cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    home = cfg.parent.parent / "home"
    home.mkdir()
    (home / ".bashrc").write_text("keep", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    before = tree(home)
    out = "/" if where == "root" else str(home)
    code, _, err = run(capsys, "plan", str(cfg), "-q", "--force", "--out", out)
    assert code == 2
    assert_clear_error(err, "plan", "is the root or home folder")
    assert tree(home) == before


def test_out_a_folder_that_holds_inputs(
    layers_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    cfg = new_project(
        layers_dir, tmp_path, CONFIG.replace('"poles.geojson"', '"data/poles.geojson"')
    )
    (cfg.parent / "data").mkdir()
    (cfg.parent / "poles.geojson").rename(cfg.parent / "data" / "poles.geojson")
    before = tree(tmp_path)
    code, _, err = run(capsys, "plan", str(cfg), "-q", "--force", "--out", str(cfg.parent / "data"))
    assert code == 2
    assert_clear_error(err, "plan", "holds the input", "poles.geojson")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("force", [False, True])
def test_out_an_existing_file(force: bool, cfg: Path, capsys: pytest.CaptureFixture[str]):
    target = cfg.parent / "results.txt"
    target.write_text("my results", encoding="utf-8")
    before = tree(cfg.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q", "--out", str(target), *(["--force"] * force))
    assert code == 2
    assert_clear_error(err, "plan", "is a file, not a folder", "never replaced")
    assert tree(cfg.parent) == before


def test_out_below_a_file(cfg: Path, capsys: pytest.CaptureFixture[str]):
    (cfg.parent / "a").write_text("a file", encoding="utf-8")
    before = tree(cfg.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q", "--out", str(cfg.parent / "a" / "b"))
    assert code == 2
    assert_clear_error(err, "plan", "is a file, so nothing can be made in")
    assert tree(cfg.parent) == before


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_not_written_by_coverage_is_never_replaced(
    force: bool, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    out = cfg.parent / "out"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"years of work")
    (out / "meta.json").write_text('{"format": "something-else"}', encoding="utf-8")
    before = tree(cfg.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q", *(["--force"] * force))
    assert code == 2
    if force:
        assert_clear_error(
            err, "plan", "was not written by 'coverage plan'", "coverage-plan-folder/1"
        )
    else:
        assert_clear_error(err, "plan", "already exists", "--force")
    assert tree(cfg.parent) == before


def test_force_replaces_only_its_own_folder_and_keeps_siblings(
    cfg: Path, capsys: pytest.CaptureFixture[str]
):
    _plan_ok(capsys, cfg)
    out = cfg.parent / "out"
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["format"] == "coverage-plan-folder/1"
    assert meta["crs"] == "EPSG:2326"
    assert set(meta["outputs"]) >= {"plan.geojson", "plan.gpkg", "plan.csv", "districts.csv"}
    assert set(meta["outputs"].values()) == {"written"}
    (cfg.parent / "notes.txt").write_text("mine", encoding="utf-8")
    inputs = {k: v for k, v in tree(cfg.parent).items() if not k.startswith("out")}
    code, _, err = run(capsys, "plan", str(cfg), "-q")
    assert code == 2 and "already exists" in err
    _plan_ok(capsys, cfg, "--force")
    after = tree(cfg.parent)
    assert_kept(inputs, after)
    assert leftovers(cfg.parent) == []


def test_an_empty_existing_folder_is_used(cfg: Path, capsys: pytest.CaptureFixture[str]):
    (cfg.parent / "out").mkdir()
    _plan_ok(capsys, cfg)
    assert (cfg.parent / "out" / "plan.csv").is_file()


def test_a_new_nested_folder_is_made_and_removed_again_on_failure(
    cfg: Path, capsys: pytest.CaptureFixture[str]
):
    _edit(cfg, "hfov_deg = 90", "hfov_deg = 400")  # refused only when the camera is built
    before = tree(cfg.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q", "--out", str(cfg.parent / "a" / "b" / "c"))
    assert code == 2
    assert_clear_error(err, "plan", "[camera]")
    assert tree(cfg.parent) == before  # no empty a/b left behind, no lock, no temporary


# ------------------------------------------------------------ files that commands write
@pytest.fixture
def planned(cfg: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    _plan_ok(capsys, cfg)
    return cfg.parent / "out" / "plan.geojson"


@pytest.mark.parametrize("command", ["map", "evaluate"])
def test_writers_never_overwrite_without_force(
    command: str, planned: Path, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    target = cfg.parent / ("mine.html" if command == "map" else "mine.csv")
    target.write_text("precious", encoding="utf-8")
    before = tree(cfg.parent)
    code, _, err = run(capsys, command, str(planned), str(cfg), "-q", "-o", str(target))
    assert code == 2
    assert_clear_error(err, command, "already exists", "--force")
    assert tree(cfg.parent) == before
    code, _, err = run(capsys, command, str(planned), str(cfg), "-q", "-o", str(target), "--force")
    assert code == 0, err
    assert target.read_text(encoding="utf-8") != "precious"
    after = tree(cfg.parent)
    assert_kept({k: v for k, v in before.items() if k != target.name}, after)


def test_map_default_output_is_not_overwritten(
    planned: Path, cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(cfg.parent)
    (cfg.parent / "map.html").write_text("my own map", encoding="utf-8")
    code, _, err = run(capsys, "map", str(planned), str(cfg), "-q")
    assert code == 2
    assert_clear_error(err, "map", "'map.html' already exists")
    assert (cfg.parent / "map.html").read_text(encoding="utf-8") == "my own map"


@pytest.mark.parametrize("command", ["map", "evaluate"])
@pytest.mark.parametrize("which", ["config", "plan", "layer"])
def test_writers_never_overwrite_an_input_even_with_force(
    command: str, which: str, planned: Path, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    target = {"config": cfg, "plan": planned, "layer": cfg.parent / "districts.gpkg"}[which]
    before = tree(cfg.parent)
    code, _, err = run(capsys, command, str(planned), str(cfg), "-q", "-o", str(target), "--force")
    assert code == 2
    assert_clear_error(err, command, "is one of the inputs")
    assert tree(cfg.parent) == before


@pytest.mark.parametrize("command", ["map", "evaluate"])
def test_writers_onto_a_folder(
    command: str, planned: Path, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    before = tree(cfg.parent)
    code, _, err = run(
        capsys, command, str(planned), str(cfg), "-q", "-o", str(cfg.parent), "--force"
    )
    assert code == 2
    assert_clear_error(err, command, "is a folder; give a file name")
    assert tree(cfg.parent) == before


@pytest.mark.parametrize("command", ["map", "evaluate"])
def test_the_tools_own_plan_csv_is_not_a_plan(
    command: str, planned: Path, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    before = tree(cfg.parent)
    code, _, err = run(capsys, command, str(planned.with_suffix(".csv")), str(cfg), "-q")
    assert code == 2
    assert_clear_error(err, command, "is a table, not a layer", "plan.geojson or plan.gpkg")
    assert tree(cfg.parent) == before


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        ("folder", "is a folder; pass the plan file"),
        ("text", "could not be read as a layer"),
        ("missing", "does not exist"),
    ],
)
def test_a_plan_that_is_not_one(
    make: str, needle: str, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    plan = cfg.parent / "p.geojson"
    if make == "folder":
        plan.mkdir()
    elif make == "text":
        plan.write_text("not json at all", encoding="utf-8")
    before = tree(cfg.parent)
    code, _, err = run(capsys, "evaluate", str(plan), str(cfg), "-q")
    assert code == 2
    assert_clear_error(err, "evaluate", needle)
    assert tree(cfg.parent) == before


def test_evaluate_and_map_of_the_gpkg_plan(
    planned: Path, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    gpkg = planned.with_suffix(".gpkg")
    code, out, err = run(capsys, "evaluate", str(gpkg), str(cfg), "-q")
    assert code == 0, err
    assert "1 sets cover 32.0 of 60.0" in out
    code, out2, err = run(capsys, "evaluate", str(planned), str(cfg), "-q")
    assert code == 0 and out2 == out


def test_a_gpkg_plan_of_the_older_layout_reads_its_plan_layer(
    planned: Path, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    # plan.gpkg once held one layer named "plan"; now "cameras" beside four more layers
    old = cfg.parent / "old.gpkg"
    # another layer first, so that reading the first layer would not do
    gpd.read_file(cfg.parent / "districts.gpkg").to_file(old, layer="aaa", engine="pyogrio")
    gpd.read_file(planned).to_file(old, layer="plan", engine="pyogrio")
    assert list(pyogrio.list_layers(old)[:, 0]) == ["aaa", "plan"]
    code, out, err = run(capsys, "evaluate", str(old), str(cfg), "-q")
    assert code == 0, err
    code, want, err = run(capsys, "evaluate", str(planned), str(cfg), "-q")
    assert code == 0 and out == want


@pytest.mark.parametrize("command", ["evaluate", "map"])
def test_plan_and_config_given_the_wrong_way_round(
    command: str, planned: Path, cfg: Path, capsys: pytest.CaptureFixture[str]
):
    before = tree(cfg.parent)
    extra = ["-o", str(cfg.parent / "m.html")] if command == "map" else []
    code, _, err = run(capsys, command, str(cfg), str(planned), *extra, "-q")
    assert code == 2
    assert_clear_error(err, command, "give the plan first, then the configuration")
    assert f"coverage {command} {planned} {cfg}" in err
    assert tree(cfg.parent) == before


# ----------------------------------------------------- failures after the plan exists
def _boom(*args: object, **kwargs: object) -> None:
    msg = "Invalid number of points in LinearRing found 2"
    raise RuntimeError(msg)


@pytest.mark.parametrize("broken", ["map", "report", "both", "evaluate"])
def test_a_failure_after_the_plan_keeps_the_plan(
    broken: str, cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    import coverage.evaluation
    import coverage.render
    import coverage.report

    _edit(cfg, "map = false\nreport = false", "map = true\nreport = true")
    if broken in ("map", "both"):
        monkeypatch.setattr(coverage.render, "render_map", _boom)
    if broken in ("report", "both"):
        monkeypatch.setattr(coverage.report, "write_report", _boom)
    if broken == "evaluate":
        monkeypatch.setattr(coverage.evaluation, "evaluate", _boom)
        monkeypatch.setattr(coverage.report, "write_report", _boom)
    before = tree(cfg.parent)
    code, _, err = run(capsys, "plan", str(cfg), "-q")
    assert code == 1
    assert_clear_error(
        err, "plan", "failed: RuntimeError: Invalid number of points", "see meta.json"
    )
    assert len(err.strip().splitlines()) == 1
    out = cfg.parent / "out"
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    failed = {k for k, v in meta["outputs"].items() if v.startswith("failed: RuntimeError")}
    expected = {  # the report holds the map: a broken map breaks the report too
        "map": {"map.html", "report.html"},
        "report": {"report.html"},
        "both": {"map.html", "report.html"},
        "evaluate": {"districts.csv", "report.html"},
    }[broken]
    assert expected <= failed
    assert not failed & {"plan.geojson", "plan.gpkg", "plan.csv", "phases.csv"}
    for name, status in meta["outputs"].items():
        assert (out / name).is_file() == (status == "written"), name
    for name in ("plan.geojson", "plan.gpkg", "plan.csv", "meta.json", "config.toml"):
        assert (out / name).is_file()
    # plan.gpkg keeps its four plan layers; the districts layer needs the evaluation
    layers = [str(n) for n in pyogrio.list_layers(out / "plan.gpkg")[:, 0]]
    assert layers == ["cameras", "views", "demand", "streets"] + (
        [] if broken == "evaluate" else ["districts"]
    )
    assert_kept(before, tree(cfg.parent))
    assert leftovers(cfg.parent) == []
    # the folder is the tool's own: --force may replace it
    monkeypatch.undo()
    _plan_ok(capsys, cfg, "--force")


@pytest.mark.parametrize(
    ("exc", "code", "needles"),
    [
        (KeyboardInterrupt(), 130, ["interrupted; nothing was written"]),
        (
            RuntimeError("the solver fell over"),
            1,
            ["RuntimeError: the solver fell over", "--debug"],
        ),
        (MemoryError(), 1, ["MemoryError"]),
        (errors.SolverError("HiGHS said no"), 1, ["HiGHS said no"]),
        (errors.ParameterError("budget too large"), 2, ["budget too large"]),
        (OSError(28, "No space left on device", "x.gpkg"), 1, ["No space left on device: x.gpkg"]),
    ],
    ids=["interrupt", "unexpected", "memory", "solver", "parameter", "disk-full-mid-run"],
)
def test_failures_while_computing(
    exc: BaseException,
    code: int,
    needles: list[str],
    cfg: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    import coverage.plan

    def fail(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(coverage.plan, "solve", fail)
    before = tree(cfg.parent)
    got, _, err = run(capsys, "plan", str(cfg), "-q")
    assert got == code
    assert_clear_error(err, "plan", *needles)
    assert len(err.strip().splitlines()) == 1
    assert tree(cfg.parent) == before  # no output folder, no temporary, no lock


def test_debug_shows_the_traceback(
    cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    import coverage.plan

    monkeypatch.setattr(coverage.plan, "solve", _boom)
    code, _, err = run(capsys, "plan", str(cfg), "-q", "--debug")
    assert code == 1
    assert "Traceback" in err and "_boom" in err
    assert "coverage plan: error: RuntimeError: Invalid number" in err


def test_an_earlier_plan_survives_a_failed_rerun(
    cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    import coverage.plan

    _plan_ok(capsys, cfg)
    before = tree(cfg.parent)
    monkeypatch.setattr(coverage.plan, "solve", _boom)
    code, _, _ = run(capsys, "plan", str(cfg), "-q", "--force")
    assert code == 1
    assert tree(cfg.parent) == before


# ---------------------------------------------------------- keys passed on as given
def test_max_memory_gb_and_allow_network_are_passed_on_only_when_set(
    cfg: Path, monkeypatch: pytest.MonkeyPatch
):
    import coverage.plan
    from coverage.config import load_config
    from coverage.scene import Scene

    seen: dict[str, dict[str, object]] = {}
    real_from_files = Scene.from_files.__func__  # type: ignore[attr-defined]

    def from_files(cls: type, *args: object, **kwargs: object) -> object:
        seen["scene"] = dict(kwargs)
        kwargs.pop("allow_network", None)
        return real_from_files(cls, *args, **kwargs)

    class Problem:
        def __init__(self, *args: object, **kwargs: object) -> None:
            seen["problem"] = dict(kwargs)

    monkeypatch.setattr(Scene, "from_files", classmethod(from_files))
    monkeypatch.setattr(coverage.plan, "Problem", Problem)
    load_config(cfg).build_problem()
    assert "allow_network" not in seen["scene"]
    assert "max_memory_gb" not in seen["problem"]
    _edit(cfg, "[camera]", "allow_network = true\n[camera]")
    _edit(cfg, "[plan]\n", "[plan]\nmax_memory_gb = 2.5\n")
    load_config(cfg).build_problem()
    assert seen["scene"]["allow_network"] is True
    assert seen["problem"]["max_memory_gb"] == 2.5
