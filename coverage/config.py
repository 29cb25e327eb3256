"""Planning configurations in TOML: the scene, the camera, the plan, the outputs.

A configuration file is what the ``coverage`` command reads. Every key is
checked; an unknown key, a missing one or a value of the wrong kind is a
:class:`~coverage.errors.ConfigError` that names the file, the ``[section]``,
the key, what was expected and what was found. Relative paths are relative to
the configuration file.

A documented template (``coverage init FILE`` writes it)::

    [scene]
    # Choose ONE source for the scene: (a) a bundled dataset, or (b) your own files.
    # (a) a bundled dataset: "sample_city" or "hong_kong"
    dataset = "sample_city"
    # path = "../shared/data/hong-kong"     # dataset = "hong_kong" only
    # incidents = "tst"                     # dataset = "hong_kong" only: "all" or "tst"
    # (b) your own layer files: DELETE the dataset line above, then uncomment these
    #     (a dataset and files together is an error; paths are relative to this file)
    # districts = "districts.gpkg"          # polygons with a 'name' column
    # corridors = "streets.geojson"         # lines; optional 'footfall', 'name', 'kind'
    # hotspots = "incidents.gpkg"           # points ('weight', 'category'), or polygons
    # buildings = "buildings.gpkg"          # polygons that block views
    # cameras = "existing_cameras.geojson"  # points; 'owner', 'heading_deg', 'cameras'
    # privacy_zones = "privacy.geojson"     # polygons no camera may look into
    # landmarks = "stations.geojson"        # points: transit exits, police stations
    # (c) an OpenStreetMap extract instead of (a) and (b): DELETE the dataset line, then
    # osm = "city.osm"                      # .osm or .osm.pbf: streets, buildings, cameras...
    # admin_level = 10                      # districts: boundaries at this level (default: finest)
    # districts = "grid"                    # or your own districts file; "grid": named squares
    # grid_m = 500                          # cell size of districts = "grid"
    # hotspot_weights = { "amenity=bar" = 5, "shop=*" = 0 }   # or false: no hotspots
    # footfall = { footway = 3 }            # footfall by highway kind (see coverage.osm)
    # crs = "EPSG:2326"                     # metric CRS to work in (default: chosen for you)
    # name = "My city"
    # attribution = ["© OpenStreetMap contributors"]
    # allow_network = false                 # true: allow remote layers (http, /vsicurl/)
    # [scene.layers]                        # layer names inside multi-layer files
    # corridors = "streets"
    # [scene.rename.districts]              # column renames, per layer
    # DISTRICT_NAME = "name"

    [camera]
    cameras = 3             # cameras per pole
    hfov_deg = 90           # horizontal field of view of each camera
    range_m = 40            # useful range; leave out with resolution_px to use DORI tiers
    rotations = 4           # orientations tried per site, or "corridors" (along the streets)
    # resolution_px = 1920
    # mount_height_m = 6
    # tilt_deg = 20
    # min_tier = "observe"
    # max_privacy_intrusion_m2 = 0

    [plan]
    budget = 200            # new sets; a list such as [2000, 2000] plans phases
    spacing_m = 10          # demand points along corridors
    candidate_spacing_m = 25
    bandwidth_m = 150       # incident density bandwidth
    occlusion = true        # buildings block views
    method = "auto"         # "auto", "greedy", "local" or "exact"
    time_limit_s = 60
    gap_tol = 0.001         # stop at a proven gap of 0.1 %
    seed = 0
    # poles = "my_poles.geojson"   # candidate poles of your own (points)
    # candidates = "poles"         # "generated" (default, plus poles) or "poles" (only those)
    # max_memory_gb = 8            # refuse plans estimated to need more (default: half the RAM)
    # unknown_heading = "along_corridor"  # sets without heading: "best_rotation", "ignore"
    # snap_m = 25                  # incidents off the corridors snap to one within this (metres)

    # [quotas]              # sets per district and phase: min and/or max
    # "Harbour & Market" = { min = 5, max = 40 }

    # [roadmap]             # yearly budgets towards a total (instead of [plan] budget)
    # years = [2000, 2000, 2388]    # new sets per year; each year keeps the sets before it
    # labels = [2025, 2026, 2027]   # a label per year (default 1, 2, ...)
    # target_share = 0.5            # report the year weighted coverage first reaches this
    # total_sets = 7000             # existing + new sets: checked against the years

    # [partners]            # what each owner's existing sets are worth (partners.csv)
    # owners = ["MTR"]              # default: every owner of existing sets
    # top = 5                       # most valuable sets listed per owner
    # savings = true                # new sets saved, a proven interval (slower)

    # [objective]           # credit by demand class: the first line that picks a point wins
    # "risk >= 0.5" = { criterion = "face", weight = 2 }   # needs resolution_px, mount_height_m
    # default = "detect"    # the rest: "quality" (graded DORI credit), a tier name or "face"

    # [face]                # what "face" needs (coverage.criteria.FaceCriterion)
    # max_down_deg = 15     # steepest view down to a face (NtechLab: 15°)
    # max_yaw_deg = 30      # largest angle between the view and the corridor's direction
    # face_height_m = 1.6
    # tier = "identify"     # the pixel density a face needs (EN 62676-4: 250 px/m)

    # [[privacy.rules]]     # zones of a category (privacy_zones 'category') seen up to a tier
    # category = "residential"
    # max_tier = "observe"  # masked above it inside the zone, instead of refusing the view

    # [compute]               # on a dask cluster: pip install 'coverage-planner[distributed]'
    # scheduler = "local"     # "local" (a LocalCluster here) or an address "tcp://host:8786"
    # workers = 2             # worker processes of scheduler = "local" (one thread each)
    # tiles = 8               # spatial tiles of the matrix and the solve (default: 4 per worker)

    [output]
    folder = "out/plan"     # relative to this file
    map = true
    report = true
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage.errors import ConfigError, CoverageError
from coverage.scene import LAYERS

__all__ = ["TEMPLATE", "Config", "load_config"]

TEMPLATE = __doc__.split("::\n\n", 1)[1].replace("\n    ", "\n").strip() + "\n"
TEMPLATE = TEMPLATE[TEMPLATE.index("[scene]") :]

#: One file key per scene layer.
_SCENE_FILES = tuple(LAYERS)
_Kinds = type | tuple[type, ...]
_SCENE_KEYS: dict[str, _Kinds] = {
    "dataset": str,
    "path": str,
    "incidents": str,
    "crs": str,
    "name": str,
    "attribution": list,
    "layers": dict,
    "rename": dict,
    "allow_network": bool,
    **dict.fromkeys(_SCENE_FILES, str),
    # an OpenStreetMap extract (Scene.from_osm) and its options
    "osm": str,
    "admin_level": (int, str),
    "grid_m": float,
    "footfall": dict,
    "hotspot_weights": (dict, bool),
}
_OSM_OPTIONS = ("admin_level", "grid_m", "footfall", "hotspot_weights")
_CAMERA_KEYS: dict[str, _Kinds] = {
    "cameras": int,
    "hfov_deg": float,
    "range_m": float,
    "rotations": (int, str),
    "relative_headings_deg": list,
    "resolution_px": int,
    "mount_height_m": float,
    "tilt_deg": float,
    "min_tier": str,
    "min_range_m": float,
    "max_privacy_intrusion_m2": float,
}
_PLAN_KEYS: dict[str, _Kinds] = {
    "budget": (int, list),
    "spacing_m": float,
    "candidate_spacing_m": float,
    "bandwidth_m": float,
    "occlusion": bool,
    "method": str,
    "time_limit_s": float,
    "gap_tol": float,
    "seed": int,
    "poles": str,
    "candidates": str,
    "max_memory_gb": float,
    "unknown_heading": str,
    "snap_m": float,
}
_ROADMAP_KEYS: dict[str, _Kinds] = {
    "years": list,
    "labels": list,
    "target_share": float,
    "total_sets": int,
}
_PARTNERS_KEYS: dict[str, _Kinds] = {"owners": list, "top": int, "savings": bool}
_OUTPUT_KEYS: dict[str, _Kinds] = {"folder": str, "map": bool, "report": bool}
_FACE_KEYS: dict[str, _Kinds] = {
    "max_down_deg": float,
    "max_yaw_deg": float,
    "face_height_m": float,
    "tier": str,
}
_PRIVACY_KEYS: dict[str, _Kinds] = {"rules": list}
#: Where the plan is computed (coverage.distributed); no section: in this process.
_COMPUTE_KEYS: dict[str, _Kinds] = {"scheduler": str, "workers": int, "tiles": int}
#: Section -> its keys and their kinds (None: free keys, checked on their own).
_SECTIONS: dict[str, dict[str, _Kinds] | None] = {
    "scene": _SCENE_KEYS,
    "camera": _CAMERA_KEYS,
    "plan": _PLAN_KEYS,
    "quotas": None,
    "roadmap": _ROADMAP_KEYS,
    "partners": _PARTNERS_KEYS,
    "objective": None,
    "face": _FACE_KEYS,
    "privacy": _PRIVACY_KEYS,
    "compute": _COMPUTE_KEYS,
    "output": _OUTPUT_KEYS,
}
_KIND = {
    int: "an integer",
    float: "a number",
    str: "a string",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


@dataclass(frozen=True)
class Config:
    """A loaded configuration: the raw tables, checked, and where they came from."""

    path: Path
    scene: dict[str, Any]
    camera: dict[str, Any]
    plan: dict[str, Any]
    quotas: dict[str, tuple[int | None, int | None]] | None
    output: dict[str, Any]
    roadmap: dict[str, Any] | None = None
    partners: dict[str, Any] | None = None
    objective: dict[str, Any] | None = None
    face: dict[str, Any] = field(default_factory=dict)
    privacy: dict[str, Any] = field(default_factory=dict)
    compute: dict[str, Any] = field(default_factory=dict)

    def resolve(self, value: str) -> Path:
        """Resolve a path given in the file, relative to the file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.path.parent / p)

    @property
    def folder(self) -> Path:
        """The output folder."""
        return self.resolve(self.output.get("folder", "out/plan"))

    def error(self, section: str, key: str | None, message: str) -> ConfigError:
        """Make a ConfigError naming this file, the section and the key."""
        where = f"[{section}]" + (f" {key}" if key else "")
        return ConfigError(f"{self.path}: {where}: {message}")

    # ---------------------------------------------------------------- building
    def scene_files(self) -> dict[str, Path]:
        """Return the layer files of the [scene] section, resolved, by scene layer name."""
        return {k: self.resolve(self.scene[k]) for k in _SCENE_FILES if k in self.scene}

    def input_paths(self) -> list[Path]:
        """Return every path this configuration reads: itself, the layer files, the poles."""
        files = self.scene_files()
        if "osm" in self.scene:
            files = {k: v for k, v in files.items() if self.scene[k] != "grid"}
            files["osm"] = self.resolve(self.scene["osm"])
        paths = [self.path, *files.values()]
        if "poles" in self.plan:
            paths.append(self.resolve(self.plan["poles"]))
        if self.scene.get("dataset") is not None and "path" in self.scene:
            paths.append(self.resolve(self.scene["path"]))
        return paths

    def _check_files(self, files: dict[str, Path]) -> None:
        """Check that every layer file exists and every [scene.layers] name is in its file."""
        import pyogrio

        for key, path in files.items():
            if not path.exists():
                msg = (
                    f"{str(path)!r} does not exist; check the path (relative paths are "
                    "relative to the configuration file's folder)"
                )
                err = self.error("scene", key, msg)
                raise err
        for key, name in (self.scene.get("layers") or {}).items():
            path = files[key]
            if path.suffix.lower() in (".parquet", ".geoparquet"):
                continue
            try:
                found = [str(row[0]) for row in pyogrio.list_layers(path)]
            except Exception:  # unreadable files get their own error in from_files
                continue
            if name not in found:
                msg = f"{name!r} is not a layer of {str(path)!r}; its layers are " + ", ".join(
                    repr(n) for n in found
                )
                err = self.error("scene.layers", key, msg)
                raise err

    def build_scene(self) -> Any:
        """Build the Scene the configuration describes."""
        from pyogrio.errors import DataLayerError, DataSourceError

        from coverage import datasets
        from coverage.scene import Scene

        s = self.scene
        dataset = s.get("dataset")
        try:
            if dataset == "sample_city":
                return datasets.sample_city(self.resolve(s["path"]) if "path" in s else None)
            if dataset == "hong_kong":
                path = self.resolve(s["path"]) if "path" in s else datasets.DEFAULT_HONG_KONG_PATH
                return datasets.hong_kong(path, incidents=s.get("incidents", "all"))
            if "osm" in s:
                return self._osm_scene()
            files = self.scene_files()
            self._check_files(files)
            extra = {"allow_network": s["allow_network"]} if "allow_network" in s else {}
            return Scene.from_files(
                files.pop("districts"),
                files.pop("corridors"),
                **files,
                layers=s.get("layers"),
                rename=s.get("rename"),
                crs=s.get("crs"),
                name=s.get("name", ""),
                attribution=s.get("attribution", ()),
                **extra,
            )
        except FileNotFoundError as exc:
            msg = "scene"
            raise self.error(msg, None, str(exc)) from exc
        except (DataSourceError, DataLayerError) as exc:
            msg = f"a layer file could not be read ({exc}); is it a vector file GDAL reads?"
            err = self.error("scene", None, msg)
            raise err from exc

    def _osm_scene(self) -> Any:
        """Build the Scene of ``[scene] osm = "file"`` and its options."""
        from coverage.scene import Scene

        s = self.scene
        districts = s.get("districts")
        extra = {k: s[k] for k in _OSM_OPTIONS if k in s}
        if extra.get("hotspot_weights") is True:
            del extra["hotspot_weights"]
        try:
            return Scene.from_osm(
                self.resolve(s["osm"]),
                districts=None
                if districts is None
                else ("grid" if districts == "grid" else self.resolve(districts)),
                crs=s.get("crs"),
                name=s.get("name", ""),
                **extra,
                **({"attribution": s["attribution"]} if "attribution" in s else {}),
            )
        except (ValueError, TypeError) as exc:
            if isinstance(exc, ConfigError):
                raise
            section = "scene"
            raise self.error(section, "osm", str(exc)) from exc

    def build_camera(self) -> Any:
        """Build the CameraSet of the [camera] section."""
        from coverage.camera import CameraSet

        kw = dict(self.camera)
        if "relative_headings_deg" in kw:
            kw["relative_headings_deg"] = tuple(kw["relative_headings_deg"])
        try:
            return CameraSet(**kw)
        except (CoverageError, ValueError, TypeError) as exc:
            msg = "camera"
            raise self.error(msg, None, str(exc)) from exc

    def build_problem(self, scene: Any = None) -> Any:
        """Build the Problem: scene, camera and the [plan] and [quotas] sections."""
        from coverage.plan import Problem

        scene = scene if scene is not None else self.build_scene()
        camera = self.build_camera()
        kw = dict(self.plan)
        kw["rng"] = kw.pop("seed", 0)
        if "poles" in kw:
            from coverage.scene import read_layer

            try:
                kw["poles"] = read_layer(self.resolve(kw["poles"]), what="poles").to_crs(scene.crs)
            except FileNotFoundError as exc:
                err = self.error("plan", "poles", str(exc))
                raise err from exc
        if self.roadmap is not None:
            kw["budget"] = tuple(self.roadmap["years"])
        if isinstance(kw.get("budget"), list):
            kw["budget"] = tuple(kw["budget"])
        from coverage.criteria import FaceCriterion

        try:
            face = FaceCriterion(**self.face)
        except (CoverageError, ValueError, TypeError) as exc:
            section = "face"
            raise self.error(section, None, str(exc)) from exc
        try:
            return Problem(
                scene,
                camera,
                quotas=self.quotas,
                objective=self.objective,
                face=face,
                privacy_rules=self.privacy.get("rules"),
                **kw,
            )
        except (CoverageError, ValueError, TypeError) as exc:
            text = str(exc)
            section = next(
                (s for k, s in _ERROR_SECTIONS if k in text.lower()),
                "plan",
            )
            raise self.error(section, None, text) from exc


#: Which section a Problem error belongs to, by a word of its message.
_ERROR_SECTIONS = (
    ("quota", "quotas"),
    ("privacy", "privacy"),
    ("objective", "objective"),
    ("face", "face"),
)


def load_config(path: str | Path) -> Config:
    """Read and check a TOML configuration file.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    coverage.errors.ConfigError
        The file is not valid TOML, or a section or key is unknown, missing or
        of the wrong kind (the message names the file, section and key).
    """
    p = Path(path)
    raw = _read_toml(p)
    problems = _key_problems(raw)
    scene = raw.get("scene", {})
    if isinstance(scene, dict):
        problems += _scene_problems(scene)
    plan = raw.get("plan", {})
    if isinstance(plan, dict):
        problems += _plan_problems(plan)
    quotas = _quotas(raw.get("quotas"), problems)
    roadmap = raw.get("roadmap")
    if isinstance(roadmap, dict):
        problems += _roadmap_problems(roadmap, plan if isinstance(plan, dict) else {})
    partners = raw.get("partners")
    if isinstance(partners, dict):
        problems += _partners_problems(partners)
    objective = _objective(raw.get("objective"), problems)
    privacy = raw.get("privacy", {})
    if isinstance(privacy, dict):
        problems += _privacy_problems(privacy)
    compute = raw.get("compute", {})
    if isinstance(compute, dict):
        problems += _compute_problems(compute)
    if len(problems) == 1:
        msg = f"{p}: {problems[0]}"
        raise ConfigError(msg)
    if problems:
        msg = f"{p}: the configuration has problems:\n- " + "\n- ".join(problems)
        raise ConfigError(msg)
    return Config(
        path=p.resolve(),
        scene=dict(raw.get("scene", {})),
        camera=dict(raw.get("camera", {})),
        plan=dict(raw.get("plan", {})),
        quotas=quotas,
        output=dict(raw.get("output", {})),
        roadmap=dict(roadmap) if isinstance(roadmap, dict) else None,
        partners=dict(partners) if isinstance(partners, dict) else None,
        objective=objective,
        face=dict(raw.get("face", {})),
        privacy=dict(privacy) if isinstance(privacy, dict) else {},
        compute=dict(raw.get("compute", {})),
    )


def _read_toml(p: Path) -> dict[str, Any]:
    if p.is_dir():
        msg = f"{str(p)!r} is a folder, not a configuration file; pass the .toml file in it."
        raise ConfigError(msg)
    if not p.is_file():
        msg = (
            f"Configuration file {str(p)!r} does not exist. "
            f"Write a template with 'coverage init {p}'."
        )
        raise FileNotFoundError(msg)
    try:
        data = p.read_bytes()
    except OSError as exc:
        msg = f"{p}: cannot be read ({exc.strerror}); check its permissions."
        raise ConfigError(msg) from exc
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark is accepted
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = (
            f"{p}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8."
        )
        raise ConfigError(msg) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{p}: not valid TOML: {exc}."
        raise ConfigError(msg) from exc


def _key_problems(raw: dict[str, Any]) -> list[str]:
    """Find unknown sections, sections that are not tables, unknown keys, wrong kinds of value."""
    problems = [
        f"unknown section [{section}]; the sections are " + ", ".join(f"[{s}]" for s in _SECTIONS)
        for section in raw
        if section not in _SECTIONS
    ]
    for section, keys in _SECTIONS.items():
        table = raw.get(section, {})
        if not isinstance(table, dict):
            problems.append(f"[{section}] must be a table")
            continue
        if keys is None:
            continue
        for key, value in table.items():
            if key not in keys:
                problems.append(
                    f"[{section}] unknown key {key!r}; expected one of {', '.join(sorted(keys))}"
                )
                continue
            want = keys[key]
            kinds = want if isinstance(want, tuple) else (want,)
            if not any(_is(value, k) for k in kinds):
                expected = " or ".join(_KIND[k] for k in kinds)
                problems.append(f"[{section}] {key} must be {expected}; got {value!r}")
    return problems


def _scene_problems(scene: dict[str, Any]) -> list[str]:
    """Check that [scene] names a known dataset, or gives the districts and corridors files."""
    if "osm" in scene:
        return _osm_problems(scene)
    problems = [
        f'[scene] {k} is an option of osm = "file.osm"; add the osm line or delete {k}'
        for k in _OSM_OPTIONS
        if k in scene
    ]
    dataset = scene.get("dataset")
    files = [k for k in _SCENE_FILES if k in scene]
    if dataset is not None and dataset not in ("sample_city", "hong_kong"):
        problems.append(
            f'[scene] dataset must be "sample_city" or "hong_kong"; got {dataset!r} '
            "(or leave it out and give the layer files)"
        )
    if dataset is None and not ("districts" in scene and "corridors" in scene):
        problems.append(
            '[scene] needs dataset = "sample_city" / "hong_kong", or the files '
            'districts = "..." and corridors = "..."'
        )
    given = files + [k for k in ("layers", "rename") if k in scene]
    if dataset is not None and given:
        problems.append(
            f"[scene] dataset = {dataset!r} and {', '.join(given)} are both given, so it is not "
            "clear which city to plan; delete the dataset line to plan your own files, or "
            "delete " + ", ".join(given) + " to plan the dataset"
        )
    problems += _layers_problems(scene.get("layers"), files)
    problems += _rename_problems(scene.get("rename"))
    return problems


def _osm_problems(scene: dict[str, Any]) -> list[str]:
    """[scene] osm = "file": the other layers come from the file (districts may be given)."""
    others = ("dataset", *(k for k in _SCENE_FILES if k != "districts"), "layers", "rename")
    clash = [k for k in others if k in scene]
    problems = []
    if clash:
        problems.append(
            f"[scene] osm = {scene['osm']!r} and {', '.join(clash)} are both given; the OSM "
            "file gives every layer (only districts may come from a file of your own): delete "
            + ", ".join(clash)
        )
    for key in ("footfall", "hotspot_weights"):
        table = scene.get(key)
        if isinstance(table, dict):
            bad = {k: v for k, v in table.items() if not (_is(v, float) and v >= 0)}
            if bad:
                problems.append(
                    f"[scene] {key} values must be numbers >= 0; got {bad!r}"
                    + (' (keys are "key=value" or "key=*")' if key == "hotspot_weights" else "")
                )
    grid: Any = scene.get("grid_m")
    if _is(grid, float) and not grid > 0:
        problems.append(f"[scene] grid_m must be a number of metres > 0; got {grid}")
    return problems


def _layers_problems(layers: Any, files: list[str]) -> list[str]:
    """[scene.layers]: scene layer = "layer name in its file", for layers given as files."""
    if not isinstance(layers, dict):
        return []
    problems = []
    for key, value in layers.items():
        if key not in _SCENE_FILES:
            problems.append(
                f"[scene.layers] unknown layer {key!r}; the scene layers are {', '.join(LAYERS)}"
            )
        elif not isinstance(value, str):
            problems.append(
                f'[scene.layers] {key} must be a layer name (a string) such as "streets"; '
                f"got {value!r}"
            )
        elif key not in files:
            problems.append(
                f'[scene.layers] {key} names a layer, but [scene] has no {key} = "file"; '
                f"add the file or delete the line"
            )
    return problems


def _rename_problems(rename: Any) -> list[str]:
    """[scene.rename.LAYER]: old column = "new column", both strings."""
    if not isinstance(rename, dict):
        return []
    problems = []
    for key, table in rename.items():
        if key not in _SCENE_FILES:
            problems.append(
                f"[scene.rename] unknown layer {key!r}; the scene layers are {', '.join(LAYERS)}"
            )
        elif not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            problems.append(
                f'[scene.rename] {key} must be a table of old = "new" column names, such as '
                f'[scene.rename.{key}] then DISTRICT_NAME = "name"; got {table!r}'
            )
    return problems


def _plan_problems(plan: dict[str, Any]) -> list[str]:
    """Values of [plan] that are of the right kind but out of range."""
    problems = []
    if "budget" in plan:
        b = plan["budget"]
        if isinstance(b, list) and not all(_is(x, int) for x in b):
            problems.append(f"[plan] budget must be an integer or a list of integers; got {b!r}")
    seed: Any = plan.get("seed")
    if _is(seed, int) and seed < 0:
        problems.append(f"[plan] seed must be an integer >= 0 (any will do); got {seed}")
    mem: Any = plan.get("max_memory_gb")
    if _is(mem, float) and not mem > 0:
        problems.append(f"[plan] max_memory_gb must be a number of GiB > 0; got {mem}")
    return problems


def _roadmap_problems(roadmap: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    """Values of [roadmap] of the right kind but out of range, and a budget given twice."""
    problems = []
    years = roadmap.get("years")
    if years is None:
        problems.append("[roadmap] needs years = [...]: the new sets of each year")
    elif not years or not all(_is(x, int) and x >= 1 for x in years):
        problems.append(f"[roadmap] years must be a list of integers >= 1; got {years!r}")
    labels = roadmap.get("labels")
    if isinstance(labels, list) and isinstance(years, list) and len(labels) != len(years):
        problems.append(
            f"[roadmap] labels must give one label per year ({len(years)}); got {len(labels)}"
        )
    share: Any = roadmap.get("target_share")
    if _is(share, float) and not 0 < share <= 1:
        problems.append(f"[roadmap] target_share must be a share in (0, 1]; got {share}")
    if "budget" in plan and years is not None:
        problems.append(
            "[plan] budget and [roadmap] years both give the budget; delete [plan] budget "
            "(the years are the phases)"
        )
    return problems


def _compute_problems(compute: dict[str, Any]) -> list[str]:
    """Values of [compute] that are of the right kind but out of range."""
    problems = []
    sched: Any = compute.get("scheduler")
    schemes = ("tcp://", "tls://", "ucx://", "inproc://")
    if isinstance(sched, str) and not (sched == "local" or sched.startswith(schemes)):
        problems.append(
            f'[compute] scheduler must be "local" or a scheduler address such as '
            f'"tcp://host:8786"; got {sched!r}'
        )
    for key in ("workers", "tiles"):
        v: Any = compute.get(key)
        if _is(v, int) and v < 1:
            problems.append(f"[compute] {key} must be an integer >= 1; got {v}")
    if "scheduler" not in compute and compute:
        problems.append(
            '[compute] needs scheduler = "local" or "tcp://host:8786" (or delete the section '
            "to plan in this process)"
        )
    return problems


def _partners_problems(partners: dict[str, Any]) -> list[str]:
    """Values of [partners] of the right kind but out of range."""
    problems = []
    owners = partners.get("owners")
    if isinstance(owners, list) and not all(isinstance(o, str) for o in owners):
        problems.append(f"[partners] owners must be a list of owner names; got {owners!r}")
    top: Any = partners.get("top")
    if _is(top, int) and top < 0:
        problems.append(f"[partners] top must be an integer >= 0; got {top}")
    return problems


def _is(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _quotas(table: Any, problems: list[str]) -> dict[str, tuple[int | None, int | None]] | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        return None
    out: dict[str, tuple[int | None, int | None]] = {}
    for district, q in table.items():
        if not isinstance(q, dict) or not set(q) <= {"min", "max"} or not q:
            problems.append(
                f"[quotas] {district!r} must be a table like {{ min = 2, max = 10 }}; got {q!r}"
            )
            continue
        bad = [k for k, v in q.items() if not (_is(v, int) and v >= 0)]
        if bad:
            problems.append(f"[quotas] {district!r}: {', '.join(bad)} must be integers >= 0")
            continue
        out[district] = (q.get("min"), q.get("max"))
    return out


def _objective(table: Any, problems: list[str]) -> dict[str, Any] | None:
    """Check ``[objective]``: selector = "criterion" or { criterion = "...", weight = w }."""
    if not isinstance(table, dict) or not table:
        return None
    out: dict[str, Any] = {}
    for where, v in table.items():
        if isinstance(v, str):
            out[where] = v
        elif (
            isinstance(v, dict)
            and "criterion" in v
            and set(v) <= {"criterion", "weight"}
            and isinstance(v["criterion"], str)
            and _is(v.get("weight", 1.0), float)
        ):
            out[where] = (v["criterion"], float(v.get("weight", 1.0)))
        else:
            problems.append(
                f'[objective] {where!r} must be a criterion such as "face" or a table like '
                f'{{ criterion = "face", weight = 2 }}; got {v!r}'
            )
    return out


def _privacy_problems(privacy: dict[str, Any]) -> list[str]:
    """Check ``[[privacy.rules]]``: tables with a text category and max_tier."""
    rules = privacy.get("rules", [])
    if not isinstance(rules, list):
        return []
    return [
        f"[[privacy.rules]] rule {i + 1} must have exactly category and max_tier (text), "
        f'e.g. category = "residential", max_tier = "observe"; got {r!r}'
        for i, r in enumerate(rules)
        if not (
            isinstance(r, dict)
            and set(r) == {"category", "max_tier"}
            and all(isinstance(v, str) for v in r.values())
        )
    ]
