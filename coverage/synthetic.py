"""Synthetic cities: a deterministic generator of realistic scene layers.

:func:`synthetic_city` draws a fictional coastal city with an irregular street
network (perturbed Voronoi blocks, curved arterials, a waterfront promenade,
footpaths through blocks and stairways up the hills), building footprints
along the street frontages, incidents clustered into hotspots, footfall that
varies street by street, existing camera sets and privacy zones.

Everything is vectorized (numpy, scipy.spatial, shapely 2): the default
4 km x 3 km city takes about 2 s, and a Hong Kong-sized one (12 km x 8 km:
2,500 km of corridors, 130,000 buildings, 28,000 incidents) about 20 s of CPU
and 0.7 GB. Every draw comes from one :class:`numpy.random.Generator` seeded
once, so the same arguments give the same frames. The bundled sample city
(``data/sample_city.gpkg``) is made by ``data/make_sample_city.py`` with this
module.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Voronoi, cKDTree

from coverage._crs import require_metric
from coverage._validate import check_number
from coverage.errors import ParameterError

__all__ = ["DISTRICT_NAMES", "INCIDENT_CATEGORIES", "LAYERS", "synthetic_city"]

#: Layer names, in the order they are returned and written.
LAYERS = (
    "districts",
    "corridors",
    "hotspots",
    "buildings",
    "cameras",
    "privacy_zones",
    "landmarks",
)

#: Fictional district names (one with an ampersand, one with an apostrophe).
DISTRICT_NAMES = (
    "Harbour & Market",
    "Lantern Hill",
    "St. Agnes' Quay",
    "Jade Terrace",
    "Kingfisher Bay",
    "Old Ferry Point",
    "Willow Heights",
    "Saltpan Gardens",
    "Camphor Vale",
    "Bellbird Wharf",
    "Copper Lane",
    "Orchid Crescent",
    "Tidewater",
    "Morning Star Fields",
    "Granite Steps",
    "Pearl Reach",
)

#: Incident categories and their severity weights (the "weight" column).
INCIDENT_CATEGORIES = {
    "theft": 1.0,
    "robbery": 3.0,
    "assault": 2.5,
    "burglary": 1.5,
    "vandalism": 0.5,
}

_STREET_WORDS = (
    "Amber",
    "Banyan",
    "Bamboo",
    "Cedar",
    "Chestnut",
    "Cloud",
    "Coral",
    "Crane",
    "Cypress",
    "Dragon",
    "Egret",
    "Emerald",
    "Ferry",
    "Fig",
    "Fortune",
    "Garden",
    "Ginger",
    "Golden",
    "Harmony",
    "Heron",
    "Hibiscus",
    "Ivory",
    "Jasmine",
    "Junk",
    "Kite",
    "Lotus",
    "Lychee",
    "Magnolia",
    "Mango",
    "Maple",
    "Mariner",
    "Mulberry",
    "Nutmeg",
    "Oyster",
    "Pagoda",
    "Peach",
    "Pepper",
    "Pine",
    "Plum",
    "Rope",
    "Saffron",
    "Sampan",
    "Silk",
    "Silver",
    "Spice",
    "Swallow",
    "Tangerine",
    "Tea",
    "Temple",
    "Tin",
    "Typhoon",
    "Velvet",
    "Walnut",
    "Wing",
    "Wisteria",
)
_STREET_SUFFIX = ("Street", "Street", "Street", "Road", "Lane", "Terrace", "Row", "Square")
_ARTERIAL_NAMES = (
    "Harbour Road",
    "Queen's Parade",
    "Lantern Road",
    "Kingfisher Avenue",
    "Jade Boulevard",
    "Granite Way",
    "Camphor Road",
    "Pearl Avenue",
    "Monsoon Road",
    "Typhoon Shelter Road",
    "Bellbird Avenue",
    "Willow Road",
    "Saltpan Road",
    "Orchid Boulevard",
    "Copper Road",
    "Morning Star Avenue",
)
#: Relative footfall by corridor kind (a residential street is 1).
_BASE_FOOTFALL = {
    "primary": 6.0,
    "secondary": 4.0,
    "residential": 1.0,
    "service": 0.3,
    "footway": 1.5,
    "pedestrian": 5.0,
    "steps": 0.8,
}
#: Half the carriageway width, metres, by corridor kind (buildings stand behind it).
_HALF_WIDTH_M = {
    "primary": 12.0,
    "secondary": 9.0,
    "residential": 5.0,
    "service": 3.5,
    "pedestrian": 4.0,
}
_SIDEWALK_M = 2.5
_FOOTWAY_CLEAR_M = 3.0
_REF_AREA_M2 = 12.0e6  # the default 4 km x 3 km city; counts scale with area / this


def _crs_or_raise(crs: Any) -> CRS:
    try:
        out = CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises CRSError, a plain Exception subclass
        msg = f"The 'crs' parameter of synthetic_city must be a CRS. Got {crs!r} instead."
        raise ParameterError(msg) from exc
    return require_metric(out, where="synthetic_city")


# --------------------------------------------------------------------------- geometry helpers
def _coast_y(
    x: NDArray[np.float64], width_m: float, height_m: float, phase: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Northing of the coastline (the sea lies south of it) at eastings `x`."""
    u = x / width_m
    y: NDArray[np.float64] = height_m * (
        0.10
        + 0.035 * np.sin(2 * np.pi * (1.3 * u + phase[0]))
        + 0.02 * np.sin(2 * np.pi * (3.7 * u + phase[1]))
        + 0.06 * np.exp(-(((u - 0.45) / 0.12) ** 2))  # a headland
    )
    return y


def _curve(
    p0: NDArray[np.float64],
    p1: NDArray[np.float64],
    bend: float,
    waves: float,
    phase: float,
    n: int = 400,
) -> NDArray[np.float64]:
    """A gently curving polyline from p0 to p1 (bend and waves in metres)."""
    t = np.linspace(0.0, 1.0, n)
    d = p1 - p0
    normal = np.array([-d[1], d[0]]) / np.hypot(*d)
    off = bend * np.sin(np.pi * t) + waves * np.sin(2 * np.pi * (2.0 * t + phase)) * np.sin(
        np.pi * t
    )
    out: NDArray[np.float64] = p0 + t[:, None] * d + off[:, None] * normal
    return out


def _sample_along(
    xy: NDArray[np.float64], step_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points every `step_m` along a polyline, with unit tangents."""
    seg = np.diff(xy, axis=0)
    seglen = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seglen)])
    s = np.arange(step_m / 2, cum[-1], step_m)
    i = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    f = (s - cum[i]) / seglen[i]
    pts = xy[i] + f[:, None] * seg[i]
    tan = seg[i] / seglen[i][:, None]
    return pts, tan


class _Curves:
    """Nearest-curve queries on polylines sampled every 2 m (distances to within 0.1 m)."""

    def __init__(self, curves: list[NDArray[np.float64]]) -> None:
        xy, ids = [], []
        for k, c in enumerate(curves):
            dense, _ = _sample_along(c, 2.0)
            xy.append(np.vstack([c[:1], dense, c[-1:]]))
            ids.append(np.full(len(dense) + 2, k))
        self.tree = cKDTree(np.vstack(xy))
        self.ids = np.concatenate(ids)

    def nearest(self, pts: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Distance to the nearest curve and that curve's index, for each point."""
        d, i = self.tree.query(pts)
        return d, self.ids[i]


def _tiles(geom: Any, width_m: float, height_m: float, tile_m: float = 400.0) -> NDArray[Any]:
    """Cut `geom` into square tiles (small envelopes make STRtree queries cheap)."""
    xs = np.arange(0.0, width_m, tile_m)
    ys = np.arange(0.0, height_m, tile_m)
    gx, gy = (g.ravel() for g in np.meshgrid(xs, ys))
    pieces = shapely.intersection(geom, shapely.box(gx, gy, gx + tile_m, gy + tile_m))
    out: NDArray[Any] = pieces[~shapely.is_empty(pieces)]
    return out


def _bearing_deg(dx: NDArray[np.float64], dy: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.mod(np.degrees(np.arctan2(dx, dy)), 360.0)


# --------------------------------------------------------------------------- the generator
def synthetic_city(
    *,
    width_m: float = 4000.0,
    height_m: float = 3000.0,
    n_districts: int = 8,
    seed: int = 0,
    crs: Any = "EPSG:32650",
    origin: tuple[float, float] = (360000.0, 2460000.0),
    block_spacing_m: float = 95.0,
    precision_m: float = 0.1,
) -> dict[str, gpd.GeoDataFrame]:
    """Generate a fictional, realistic coastal city as scene layers.

    Parameters
    ----------
    width_m, height_m
        Extent of the city (metres, east-west and north-south). The sea takes
        a strip along the south edge.
    n_districts
        Number of districts (irregular polygons covering the land).
    seed
        Seed of the single :class:`numpy.random.Generator` used for every draw.
    crs
        Projected CRS in metres of the output frames.
    origin
        Easting and northing (in `crs`) of the south-west corner. The default
        puts a fictional island city in UTM zone 50N (EPSG:32650) off the coast
        of Guangdong, well away from Hong Kong.
    block_spacing_m
        Typical distance between block centres in the middle-density parts of
        the city (the old town is about 0.6 times denser, the hills sparser).
        Smaller values give more streets and buildings; below about 50 m the
        blocks get too small to hold buildings behind the street setbacks.
    precision_m
        Coordinates are snapped to this grid (0 keeps full precision).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Keys ``LAYERS``: ``"districts"`` (Polygon/MultiPolygon, "name"),
        ``"corridors"`` (LineString, "footfall", "name", "kind"),
        ``"hotspots"`` (incident Points, "weight", "category"),
        ``"buildings"`` (Polygon, "height_m"), ``"cameras"`` (Points,
        "owner", "heading_deg", "cameras"), ``"privacy_zones"`` (Polygon,
        "name") and ``"landmarks"`` (Points: MTR exits, markets and police
        stations, with "kind", "name", "weight"); each with a RangeIndex and
        in `crs`.

    Raises
    ------
    ParameterError
        If a size, count or spacing is out of range.
    CRSError
        If `crs` is not projected in metres.

    Notes
    -----
    Streets are the edges of a Voronoi diagram of block centres whose density
    falls away from the old town, relaxed by two Lloyd steps. Curved arterials
    are carved in by placing mirrored pairs of block centres on both sides of
    each arterial curve, so that their Voronoi edges follow the curve. Each
    block is a Voronoi cell; buildings are rectangles along every street
    frontage, set back by the half-width of the street plus a sidewalk and
    clipped to the block, so that no building crosses a street or a footpath.
    Footfall is a base value by street kind, raised near hotspots and
    stations, times log-normal noise. Incidents are drawn from a Gaussian
    mixture around markets, stations and nightlife, then snapped to the
    nearest corridor (within 2 m). Counts of incidents, cameras, privacy
    zones and landmarks grow with the area.

    See Also
    --------
    coverage.datasets.sample_city : the bundled city made with this function.

    Examples
    --------
    >>> city = synthetic_city(width_m=600.0, height_m=500.0, n_districts=3, seed=1)
    >>> list(city)  # doctest: +NORMALIZE_WHITESPACE
    ['districts', 'corridors', 'hotspots', 'buildings', 'cameras', 'privacy_zones',
     'landmarks']
    >>> list(city["corridors"].columns)
    ['footfall', 'name', 'kind', 'geometry']
    >>> city["districts"].crs.to_epsg()
    32650
    """
    owner = "synthetic_city"
    width_m = check_number(width_m, "width_m", owner, low=200.0)
    height_m = check_number(height_m, "height_m", owner, low=200.0)
    n_districts = check_number(n_districts, "n_districts", owner, low=1, integer=True)
    seed = check_number(seed, "seed", owner, low=0, integer=True)
    block_spacing_m = check_number(block_spacing_m, "block_spacing_m", owner, low=20.0)
    precision_m = check_number(precision_m, "precision_m", owner, low=0.0)
    out_crs = _crs_or_raise(crs)
    if len(origin) != 2 or not np.all(np.isfinite(np.asarray(origin, dtype=float))):
        msg = (
            "The 'origin' parameter of synthetic_city must be (easting, northing). "
            f"Got {origin!r} instead."
        )
        raise ParameterError(msg)

    rng = np.random.default_rng(seed)
    W, H = width_m, height_m
    scale = W * H / _REF_AREA_M2
    box = shapely.box(0.0, 0.0, W, H)

    # ---- land, sea and the shape of the city
    phase = rng.uniform(0.0, 1.0, 2)
    xs = np.linspace(0.0, W, 600)
    coast = np.column_stack([xs, _coast_y(xs, W, H, phase)])
    land = shapely.polygons(np.vstack([coast, [[W, H], [0.0, H]], coast[:1]]))
    coast_line = shapely.linestrings(coast)
    old_town = np.array(
        [rng.uniform(0.3, 0.6) * W, _coast_y(np.array([0.45 * W]), W, H, phase)[0] + 0.18 * H]
    )
    hills_y = 0.78 * H  # north of this the city climbs the hills (stairs, sparse blocks)

    def spacing(p: NDArray[np.float64]) -> NDArray[np.float64]:
        d = np.hypot(p[:, 0] - old_town[0], p[:, 1] - old_town[1])
        s = block_spacing_m * (0.6 + 0.55 * (1.0 - np.exp(-((d / (0.35 * max(W, H))) ** 2))))
        out: NDArray[np.float64] = s * np.where(p[:, 1] > hills_y, 1.35, 1.0)
        return out

    # ---- arterials: curves across the city, and one along the harbour
    n_ew = max(1, round(H / 1500.0))
    n_ns = max(2, round(W / 1800.0))
    curves: list[NDArray[np.float64]] = []
    kinds_art: list[str] = []
    harbour = coast.copy()
    harbour[:, 1] += 0.04 * H + 60.0
    curves.append(harbour)
    kinds_art.append("primary")
    for k in range(n_ew):
        y = H * (0.3 + 0.55 * (k + 0.5) / n_ew) + rng.uniform(-0.05, 0.05) * H
        curves.append(
            _curve(
                np.array([-50.0, y + rng.uniform(-0.1, 0.1) * H]),
                np.array([W + 50.0, y + rng.uniform(-0.1, 0.1) * H]),
                rng.uniform(-0.06, 0.06) * H,
                rng.uniform(20, 60),
                rng.uniform(),
            )
        )
        kinds_art.append("primary" if k % 2 == 0 else "secondary")
    for k in range(n_ns):
        x = W * (k + 0.5) / n_ns + rng.uniform(-0.08, 0.08) * W / n_ns
        curves.append(
            _curve(
                np.array([x + rng.uniform(-0.1, 0.1) * W / n_ns, 0.0]),
                np.array([x + rng.uniform(-0.2, 0.2) * W / n_ns, H + 50.0]),
                rng.uniform(-0.08, 0.08) * W / n_ns * 2,
                rng.uniform(20, 60),
                rng.uniform(),
            )
        )
        kinds_art.append("secondary" if k % 2 else "primary")
    curves.append(
        _curve(
            np.array([rng.uniform(0.0, 0.2) * W, H + 50.0]),
            np.array([W + 50.0, rng.uniform(0.25, 0.45) * H]),
            rng.uniform(0.05, 0.12) * H,
            30.0,
            rng.uniform(),
        )
    )
    kinds_art.append("secondary")
    curve_geoms = np.array([shapely.linestrings(c) for c in curves], dtype=object)
    half_gap = 0.35 * block_spacing_m

    art_pts, art_id = [], []
    for k, c in enumerate(curves):
        p, t = _sample_along(c, 0.8 * block_spacing_m)
        nrm = np.column_stack([-t[:, 1], t[:, 0]])
        art_pts += [p + half_gap * nrm, p - half_gap * nrm]
        art_id += [np.full(len(p), k), np.full(len(p), k)]
    apts = np.vstack(art_pts)
    # drop pair points that sit close to another arterial (crossings): their own
    # arterial is half_gap away, so a nearer curve is another one
    near_curves = _Curves(curves)
    keep = near_curves.nearest(apts)[0] > 0.9 * half_gap
    apts = apts[keep]

    # ---- block centres: thinned Poisson field, denser in the old town
    s_min = 0.6 * block_spacing_m
    n0 = rng.poisson(W * H / s_min**2 * 1.25)
    cand = rng.uniform([0.0, 0.0], [W, H], size=(n0, 2))
    accept = rng.uniform(size=n0) < (s_min / spacing(cand)) ** 2
    bg = cand[accept]
    bg = bg[bg[:, 1] > _coast_y(bg[:, 0], W, H, phase) - 0.5 * block_spacing_m]
    bg = bg[near_curves.nearest(bg)[0] > 1.3 * half_gap]
    n_art = len(apts)
    seeds = np.vstack([apts, bg])
    margin = 3.0 * block_spacing_m
    ext = shapely.box(-margin, -margin, W + margin, H + margin)
    for _ in range(2):  # Lloyd relaxation of the background centres
        cells = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=ext, ordered=True)
        )
        cen = shapely.centroid(shapely.clip_by_rect(cells[n_art:], 0.0, 0.0, W, H))
        cen = np.column_stack([shapely.get_x(cen), shapely.get_y(cen)])
        seeds[n_art:] = cen
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=ext, ordered=True)
    )

    # ---- streets: finite Voronoi ridges clipped to land
    vor = Voronoi(seeds)
    rv = np.asarray(vor.ridge_vertices)
    rp = np.asarray(vor.ridge_points)
    finite = (rv >= 0).all(axis=1)
    rv, rp = rv[finite], rp[finite]
    a = vor.vertices[rv[:, 0]]
    b = vor.vertices[rv[:, 1]]
    ridges = shapely.linestrings(np.stack([a, b], axis=1))
    land_box = shapely.intersection(land, box)
    land_inner = shapely.buffer(land_box, -12.0)
    shapely.prepare(land_box)
    shapely.prepare(land_inner)
    inside = shapely.contains_xy(land_inner, a[:, 0], a[:, 1]) & shapely.contains_xy(
        land_inner, b[:, 0], b[:, 1]
    )
    clipped = ridges.copy()
    clipped[~inside] = shapely.intersection(ridges[~inside], land_box)
    parts, ridx = shapely.get_parts(clipped, return_index=True)
    ok = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 2.0)
    parts, ridx = parts[ok], ridx[ok]
    seg = shapely.get_coordinates(parts).reshape(-1, 2, 2)
    gen = rp[ridx]  # the two block centres on either side of each street segment
    n_st = len(parts)

    # street kind: arterial when both ends hug an arterial curve
    kind = np.full(n_st, "residential", dtype=object)
    name = np.full(n_st, "", dtype=object)
    d0, k0 = near_curves.nearest(seg[:, 0])
    d1, k1 = near_curves.nearest(seg[:, 1])
    art_of = np.where((d0 < 0.3 * half_gap) & (d1 < 0.3 * half_gap) & (k0 == k1), k0, -1)
    is_art = art_of >= 0
    kind[is_art] = np.asarray(kinds_art, dtype=object)[art_of[is_art]]
    name[is_art] = np.asarray(_ARTERIAL_NAMES * 4, dtype=object)[art_of[is_art]]
    mid = seg.mean(axis=1)
    d_old = np.hypot(mid[:, 0] - old_town[0], mid[:, 1] - old_town[1])
    u = rng.uniform(size=n_st)
    res = ~is_art
    kind[res & (d_old < min(0.12 * max(W, H), 600.0)) & (u < 0.25)] = "pedestrian"
    kind[res & (d_old > 0.25 * max(W, H)) & (u > 0.86)] = "service"
    words = rng.integers(0, len(_STREET_WORDS), n_st)
    suff = rng.integers(0, len(_STREET_SUFFIX), n_st)
    street_names = np.char.add(
        np.char.add(np.asarray(_STREET_WORDS)[words], " "), np.asarray(_STREET_SUFFIX)[suff]
    ).astype(object)
    named = res & (kind != "service")
    name[named] = street_names[named]

    # ---- footpaths through blocks (stairs on the hills)
    n_cells = len(seeds)
    seed_on_land = shapely.contains_xy(land_inner, seeds[:, 0], seeds[:, 1])
    side_cell = np.concatenate([gen[:, 0], gen[:, 1]])
    side_seg = np.concatenate([np.arange(n_st), np.arange(n_st)])
    seglen = np.hypot(*(seg[:, 1] - seg[:, 0]).T)
    df = pd.DataFrame({"cell": side_cell, "seg": side_seg, "len": seglen[side_seg]})
    df = df.sort_values(["cell", "len", "seg"], ascending=[True, False, True], kind="stable")
    first = df.groupby("cell", sort=True).head(1)
    longest = pd.Series(first["seg"].to_numpy(), index=first["cell"].to_numpy())
    df["la"] = longest.reindex(df["cell"].to_numpy()).to_numpy()
    la_mid = mid[df["la"].to_numpy()]
    df["far"] = np.hypot(*(mid[df["seg"].to_numpy()] - la_mid).T)
    df = df[df["seg"] != df["la"]]
    df = df.sort_values(["cell", "far", "seg"], ascending=[True, False, True], kind="stable")
    opp = df.groupby("cell", sort=True).head(1)
    fw_cell = opp["cell"].to_numpy()
    fw_a = longest.reindex(fw_cell).to_numpy()
    fw_b = opp["seg"].to_numpy()
    d_cell = np.hypot(seeds[fw_cell, 0] - old_town[0], seeds[fw_cell, 1] - old_town[1])
    p_fw = np.where(d_cell < 0.2 * max(W, H), 0.45, 0.22)
    take = (rng.uniform(size=len(fw_cell)) < p_fw) & seed_on_land[fw_cell]
    fw_cell, fw_a, fw_b = fw_cell[take], fw_a[take], fw_b[take]
    bend = seeds[fw_cell] + rng.uniform(-0.12, 0.12, (len(fw_cell), 2)) * block_spacing_m
    fw_xy = np.stack([mid[fw_a], bend, mid[fw_b]], axis=1)
    footways = shapely.linestrings(fw_xy)
    fw_ok = shapely.is_valid(footways) & (shapely.length(footways) > 10.0)
    footways, fw_cell = footways[fw_ok], fw_cell[fw_ok]
    fw_a, fw_b = fw_a[fw_ok], fw_b[fw_ok]
    fw_kind = np.where(seeds[fw_cell, 1] > hills_y, "steps", "footway").astype(object)
    fw_name = np.full(len(footways), "", dtype=object)
    pick = rng.uniform(size=len(footways)) < 0.3
    fw_words = np.asarray(_STREET_WORDS)[rng.integers(0, len(_STREET_WORDS), len(footways))]
    fw_suffix = np.where(fw_kind == "steps", " Steps", " Path")
    fw_name[pick] = np.char.add(fw_words, fw_suffix)[pick].astype(object)
    fw_clear = np.full(n_cells, None, dtype=object)
    fw_clear[fw_cell] = shapely.buffer(footways, _FOOTWAY_CLEAR_M)

    # waterfront promenade
    prom_xy = coast.copy()
    prom_xy[:, 1] += 14.0
    promenade = shapely.intersection(shapely.linestrings(prom_xy), box)

    # ---- buildings along every street frontage
    cell_kind_hw = np.array([_HALF_WIDTH_M[k] for k in kind])
    park = rng.uniform(size=n_cells) < 0.07
    # side arrays: one row per (segment, side)
    s_seg = side_seg
    s_cell = side_cell
    s_other = np.concatenate([gen[:, 1], gen[:, 0]])
    keep = seed_on_land[s_cell] & ~park[s_cell]
    s_seg, s_cell, s_other = s_seg[keep], s_cell[keep], s_other[keep]
    p0, p1 = seg[s_seg, 0], seg[s_seg, 1]
    L = seglen[s_seg]
    tang = (p1 - p0) / L[:, None]
    nrm = seeds[s_cell] - seeds[s_other]
    h = np.hypot(nrm[:, 0], nrm[:, 1]) / 2.0
    nrm = nrm / (2.0 * h[:, None])
    sb = cell_kind_hw[s_seg] + _SIDEWALK_M
    corner = np.full(len(s_seg), 1.5)
    d_side = np.hypot(seeds[s_cell, 0] - old_town[0], seeds[s_cell, 1] - old_town[1])
    dense = np.exp(-((d_side / (0.3 * max(W, H))) ** 2))
    plot = 14.0 + 16.0 * (1.0 - dense) + rng.uniform(-3.0, 3.0, len(s_seg))
    usable = L - 2.0 * corner
    nb = np.where(usable > 8.0, np.maximum(1, np.floor(usable / plot)), 0).astype(np.int64)
    rep = np.repeat(np.arange(len(s_seg)), nb)
    j = np.arange(len(rep)) - np.repeat(np.cumsum(nb) - nb, nb)
    slot = usable[rep] / nb[rep]
    t = corner[rep] + (j + 0.5) * slot
    wid = slot * rng.uniform(0.8, 0.97, len(rep))
    depth = np.minimum(
        rng.uniform(12.0, 28.0, len(rep)) + 10.0 * dense[rep], 0.72 * (h[rep] - sb[rep])
    )
    good = depth > 6.0
    rep, t, wid, depth = rep[good], t[good], wid[good], depth[good]
    base = p0[rep] + tang[rep] * t[:, None] + nrm[rep] * sb[rep][:, None]
    hw_t = tang[rep] * (wid / 2.0)[:, None]
    dn = nrm[rep] * depth[:, None]
    rect = np.stack(
        [base - hw_t, base + hw_t, base + hw_t + dn, base - hw_t + dn, base - hw_t], axis=1
    )
    bld = shapely.polygons(rect)
    # each frontage owns the triangle (block centre, segment ends): plots never overlap
    tri = shapely.polygons(np.stack([p0, p1, seeds[s_cell], p0], axis=1))
    block = shapely.buffer(cells, -(_HALF_WIDTH_M["residential"] + _SIDEWALK_M / 2))
    tri = shapely.buffer(tri, -0.75, join_style="mitre")  # a 1.5 m gap between wedges
    bld = shapely.intersection(bld, shapely.intersection(tri, block[s_cell])[rep])
    bcell = s_cell[rep]
    # keep clear of the sea front and of the full width of the arterials
    wide = np.isin(kind, ["primary", "secondary"])
    unbuilt = shapely.difference(box, land_inner)
    obstacles = np.concatenate(
        [
            _tiles(shapely.union(unbuilt, shapely.buffer(coast_line, 30.0)), W, H),
            shapely.buffer(
                parts[wide], np.array([_HALF_WIDTH_M[k] for k in kind[wide]]) + _SIDEWALK_M / 2
            ),
        ]
    )
    ob_b, ob_o = shapely.STRtree(obstacles).query(bld, predicate="intersects")
    order = np.lexsort((ob_o, ob_b))
    ob_b, ob_o = ob_b[order], ob_o[order]
    rank = np.arange(len(ob_b)) - np.searchsorted(ob_b, ob_b)
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        m = rank == r
        bld[ob_b[m]] = shapely.difference(bld[ob_b[m]], obstacles[ob_o[m]])
    has_fw = np.array([g is not None for g in fw_clear[bcell]], dtype=bool)
    bld[has_fw] = shapely.difference(bld[has_fw], np.asarray(fw_clear[bcell][has_fw]))
    bparts, bidx = shapely.get_parts(bld, return_index=True)
    poly = (shapely.get_type_id(bparts) == 3) & (shapely.area(bparts) > 30.0)
    bparts, bidx = bparts[poly], bidx[poly]
    bcell = bcell[bidx]
    bxy = shapely.get_coordinates(shapely.centroid(bparts))
    db = np.hypot(bxy[:, 0] - old_town[0], bxy[:, 1] - old_town[1])
    dense_b = np.exp(-((db / (0.25 * max(W, H))) ** 2))
    height = np.round(rng.lognormal(np.log(12.0 + 45.0 * dense_b), 0.45), 1)
    height = np.where(bxy[:, 1] > hills_y, np.minimum(height, 24.0), height)
    height = np.maximum(height, 3.0)

    # ---- corridors frame
    # streets where a footpath starts are split there, so that the two share a vertex
    split = np.zeros(n_st, dtype=bool)
    split[fw_a] = True
    split[fw_b] = True
    halves = np.where(split, 2, 1)
    row = np.repeat(np.arange(n_st), halves)
    second = np.arange(len(row)) - np.repeat(np.cumsum(halves) - halves, halves)
    start = np.where((second == 1)[:, None], mid[row], seg[row, 0])
    end = np.where((second == 0)[:, None] & split[row][:, None], mid[row], seg[row, 1])
    st_geoms = shapely.linestrings(np.stack([start, end], axis=1))
    # drop scraps cut off from the network (short pieces clipped by the coast)
    st_xy = np.concatenate([np.stack([start, end], axis=1), fw_xy[fw_ok][:, [0, 2]]])
    node_xy, node_id = np.unique(np.round(st_xy.reshape(-1, 2), 3), axis=0, return_inverse=True)
    node_id = node_id.reshape(-1, 2)
    adj = coo_array(
        (np.ones(len(node_id)), (node_id[:, 0], node_id[:, 1])), shape=(len(node_xy),) * 2
    )
    _, comp = connected_components(adj, directed=False)
    edge_comp = comp[node_id[:, 0]]
    comp_len = np.bincount(
        edge_comp, weights=np.concatenate([shapely.length(st_geoms), shapely.length(footways)])
    )
    keep_st = comp_len[edge_comp[: len(st_geoms)]] >= 150.0
    keep_fw = comp_len[edge_comp[len(st_geoms) :]] >= 150.0
    prom_parts = shapely.get_parts(np.array([promenade]))
    all_geoms = np.concatenate([st_geoms[keep_st], footways[keep_fw], prom_parts])
    all_kind = np.concatenate(
        [kind[row][keep_st], fw_kind[keep_fw], np.full(len(prom_parts), "pedestrian", dtype=object)]
    )
    all_name = np.concatenate(
        [
            name[row][keep_st],
            fw_name[keep_fw],
            np.full(len(prom_parts), "Harbourfront Promenade", dtype=object),
        ]
    )

    # ---- hotspot centres: markets, stations (arterial crossings), nightlife
    cross = shapely.get_parts(
        shapely.intersection(curve_geoms[:, None], curve_geoms[None, :])[
            np.triu_indices(len(curve_geoms), 1)
        ]
    )
    cross = cross[shapely.get_type_id(cross) == 0]
    stations = shapely.get_coordinates(cross)
    stations = stations[shapely.contains_xy(land_inner, stations[:, 0], stations[:, 1])]
    if len(stations) == 0:
        stations = old_town[None, :].copy()
    n_market = max(1, round(3 * scale))
    n_night = max(1, round(2 * scale))
    w_seed = (s_min / spacing(seeds)) ** 2 * seed_on_land
    w_seed = w_seed / w_seed.sum()
    markets = np.vstack([old_town, seeds[rng.choice(n_cells, n_market - 1, p=w_seed)]])
    night = seeds[rng.choice(n_cells, n_night, p=w_seed)]
    centres = np.vstack([markets, stations, night])
    c_type = np.array(
        ["market"] * len(markets) + ["station"] * len(stations) + ["nightlife"] * len(night)
    )
    c_sigma = np.select([c_type == "market", c_type == "station"], [140.0, 90.0], 110.0)
    c_sigma = c_sigma * rng.uniform(0.7, 1.3, len(centres))
    c_w = np.select([c_type == "market", c_type == "station"], [3.0, 1.0], 2.0)
    c_w = c_w * rng.uniform(0.5, 1.5, len(centres))

    # footfall: base by kind x nearness to centres x noise
    gmid = shapely.line_interpolate_point(all_geoms, 0.5, normalized=True)
    gxy = shapely.get_coordinates(gmid)
    dc, _ = cKDTree(centres).query(gxy)
    base_ff = np.array([_BASE_FOOTFALL[k] for k in all_kind])
    footfall = (
        base_ff
        * (1.0 + 3.0 * np.exp(-((dc / 300.0) ** 2)))
        * rng.lognormal(0.0, 0.3, len(all_geoms))
    )
    footfall = np.maximum(np.round(footfall, 3), 0.05)

    # ---- incidents
    n_inc = max(50, round(3500 * scale))
    n_clu = round(0.8 * n_inc)
    comp = rng.choice(len(centres), n_clu, p=c_w / c_w.sum())
    ipts = centres[comp] + rng.normal(size=(n_clu, 2)) * c_sigma[comp][:, None]
    lens = shapely.length(all_geoms)
    bg_line = rng.choice(len(all_geoms), n_inc - n_clu, p=lens / lens.sum())
    bg_pts = shapely.get_coordinates(
        shapely.line_interpolate_point(
            all_geoms[bg_line], rng.uniform(size=n_inc - n_clu), normalized=True
        )
    )
    ipts = np.vstack([ipts, bg_pts])
    itype = np.concatenate([c_type[comp], np.full(n_inc - n_clu, "background")])
    ctree = shapely.STRtree(all_geoms)
    near = ctree.query_nearest(shapely.points(ipts), all_matches=False)[1]
    on = shapely.line_interpolate_point(
        all_geoms[near], shapely.line_locate_point(all_geoms[near], shapely.points(ipts))
    )
    ixy = shapely.get_coordinates(on) + rng.uniform(-2.0, 2.0, (n_inc, 2))
    cats = np.array(list(INCIDENT_CATEGORIES))
    mix = {  # theft, robbery, assault, burglary, vandalism
        "market": [0.6, 0.12, 0.08, 0.1, 0.1],
        "station": [0.55, 0.2, 0.1, 0.05, 0.1],
        "nightlife": [0.25, 0.15, 0.35, 0.05, 0.2],
        "background": [0.3, 0.08, 0.1, 0.37, 0.15],
    }
    icat = np.empty(n_inc, dtype=object)
    for typ, probs in mix.items():
        m = itype == typ
        icat[m] = cats[rng.choice(len(cats), int(m.sum()), p=probs)]
    iweight = np.array([INCIDENT_CATEGORIES[c] for c in icat])

    # ---- existing cameras at street nodes
    nodes, inv = np.unique(np.round(seg.reshape(-1, 2), 1), axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    deg = np.bincount(inv, minlength=len(nodes))
    junction = nodes[deg >= 3] if np.count_nonzero(deg >= 3) >= 3 else nodes
    jtree = cKDTree(junction)
    cams_xy, cams_owner, cams_head, cams_n = [], [], [], []

    def _street_bearing(idx: NDArray[np.int64]) -> NDArray[np.float64]:
        # bearing of one street segment leaving each junction
        js = junction[idx]
        k = cKDTree(seg.reshape(-1, 2)).query(js)[1]
        s = k // 2
        other = seg[s, 1 - (k % 2)]
        return _bearing_deg(other[:, 0] - js[:, 0], other[:, 1] - js[:, 1])

    # MTR at stations
    _, js = jtree.query(stations)
    js = np.unique(js)
    cams_xy.append(junction[js])
    cams_owner += ["MTR"] * len(js)
    hd = _street_bearing(js)
    hd[rng.uniform(size=len(js)) < 0.4] = np.nan
    cams_head.append(hd)
    cams_n.append(rng.choice([2, 3], len(js)))
    # police at markets and nightlife, plus some random junctions
    n_pol = max(2, round(6 * scale))
    pol_near = jtree.query(np.vstack([markets, night]))[1]
    pol_rand = rng.choice(len(junction), min(n_pol, len(junction)), replace=False)
    jp = np.setdiff1d(np.unique(np.concatenate([pol_near, pol_rand])), js)
    cams_xy.append(junction[jp])
    cams_owner += ["police"] * len(jp)
    hd = _street_bearing(jp)
    hd[rng.uniform(size=len(jp)) < 0.5] = np.nan
    cams_head.append(hd)
    cams_n.append(np.full(len(jp), 3))
    # Transport Department on the arterials
    art_nodes = np.unique(inv.reshape(-1, 2)[is_art].reshape(-1))
    art_j = np.unique(jtree.query(nodes[art_nodes])[1])
    n_td = min(len(art_j), max(2, round(8 * scale)))
    jt = rng.choice(art_j, n_td, replace=False)
    jt = np.setdiff1d(np.sort(jt), np.concatenate([js, jp]))
    cams_xy.append(junction[jt])
    cams_owner += ["Transport Department"] * len(jt)
    cams_head.append(_street_bearing(jt))
    cams_n.append(np.full(len(jt), 2))

    # ---- landmarks: station exits, markets and police stations at street junctions
    exit_near = jtree.query_ball_point(stations, r=0.9 * block_spacing_m + 60.0)
    st_words = np.asarray(_STREET_WORDS)[rng.integers(0, len(_STREET_WORDS), len(stations))]
    lm_xy, lm_kind, lm_name, lm_w = [], [], [], []
    for i, near in enumerate(exit_near):
        near_idx = np.sort(np.asarray(near, dtype=np.int64))
        if near_idx.size == 0:
            continue
        n_exit = min(near_idx.size, int(rng.integers(2, 5)))
        ex = rng.choice(near_idx, n_exit, replace=False)
        lm_xy.append(junction[ex])
        lm_kind += ["mtr_exit"] * n_exit
        lm_name += [f"{st_words[i]} Station exit {chr(65 + e)}" for e in range(n_exit)]
        lm_w.append(np.full(n_exit, 3.0))
    mk = np.unique(jtree.query(markets)[1])
    lm_xy.append(junction[mk])
    lm_kind += ["market"] * len(mk)
    mk_words = np.asarray(_STREET_WORDS)[rng.integers(0, len(_STREET_WORDS), len(mk))]
    lm_name += [f"{w} Market" for w in mk_words]
    lm_w.append(np.full(len(mk), 2.0))
    n_ps = min(max(1, round(2 * scale)), len(junction))
    ps = np.sort(rng.choice(len(junction), n_ps, replace=False))
    lm_xy.append(junction[ps])
    lm_kind += ["police_station"] * n_ps
    ps_words = np.asarray(_STREET_WORDS)[rng.integers(0, len(_STREET_WORDS), n_ps)]
    lm_name += [f"{w} Police Station" for w in ps_words]
    lm_w.append(np.full(n_ps, 1.0))

    # ---- privacy zones: schools, clinics and residential courtyards
    n_pz = max(3, round(9 * scale))
    area_c = shapely.area(block)
    elig = np.flatnonzero(seed_on_land & ~park & (area_c > 2500.0) & (area_c < 20000.0))
    pz_cells = rng.choice(elig, min(n_pz, len(elig)), replace=False) if len(elig) else elig
    pz_type = np.array(["school", "clinic", "courtyard"])[np.arange(len(pz_cells)) % 3]
    pz_geom = np.where(
        pz_type == "courtyard",
        shapely.buffer(block[pz_cells], -22.0),
        shapely.buffer(block[pz_cells], -2.0),
    )
    pz_words = np.asarray(_STREET_WORDS)[rng.integers(0, len(_STREET_WORDS), len(pz_cells))]
    pz_name = np.array(
        [
            {
                "school": f"{w} Primary School",
                "clinic": f"{w} Street Clinic",
                "courtyard": f"{w} Court residential courtyard",
            }[typ]
            for w, typ in zip(pz_words, pz_type, strict=True)
        ],
        dtype=object,
    )

    # ---- districts: Voronoi of well-spread seeds clipped to land
    cand_d = rng.uniform([0.0, 0.0], [W, H], size=(max(50, 30 * n_districts), 2))
    cand_d = cand_d[shapely.contains_xy(land_inner, cand_d[:, 0], cand_d[:, 1])]
    chosen = [0]
    dmin_d = np.hypot(*(cand_d - cand_d[0]).T)
    for _ in range(1, min(n_districts, len(cand_d))):
        nxt = int(np.argmax(dmin_d))
        chosen.append(nxt)
        dmin_d = np.minimum(dmin_d, np.hypot(*(cand_d - cand_d[nxt]).T))
    dseeds = cand_d[chosen] + rng.normal(0.0, 0.03 * min(W, H), (len(chosen), 2))
    dcells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(dseeds), extend_to=ext, ordered=True)
    )
    dgeom = shapely.intersection(dcells, land_box)
    dnames = np.array(
        [
            DISTRICT_NAMES[i % len(DISTRICT_NAMES)]
            + ("" if i < len(DISTRICT_NAMES) else f" {i // len(DISTRICT_NAMES) + 1}")
            for i in range(len(dgeom))
        ],
        dtype=object,
    )
    dkeep = ~shapely.is_empty(dgeom)

    # ---- assemble, move to the origin, snap to the precision grid
    x0, y0 = float(origin[0]), float(origin[1])

    def place(geoms: NDArray[Any]) -> NDArray[Any]:
        moved: NDArray[Any] = shapely.transform(geoms, lambda c: c + np.array([x0, y0]))
        if precision_m == 0:
            return moved
        snapped: NDArray[Any] = shapely.transform(
            moved, lambda c: np.round(c / precision_m) * precision_m
        )
        bad = ~shapely.is_valid(snapped)  # rare: a sliver collapsed; let GEOS repair it
        snapped[bad] = shapely.set_precision(moved[bad], precision_m)
        return snapped

    def frame(
        cols: dict[str, Any], geoms: NDArray[Any], types: tuple[int, ...]
    ) -> gpd.GeoDataFrame:
        g = place(np.asarray(geoms, dtype=object))
        ok = ~shapely.is_empty(g) & np.isin(shapely.get_type_id(g), types)
        data = {k: np.asarray(v)[ok] for k, v in cols.items()}
        return gpd.GeoDataFrame(data, geometry=g[ok], crs=out_crs).reset_index(drop=True)

    cam_geom = shapely.points(np.vstack(cams_xy))
    city = {
        "districts": frame({"name": dnames[dkeep].astype(str)}, dgeom[dkeep], (3, 6)),
        "corridors": frame(
            {
                "footfall": footfall.astype(float),
                "name": all_name.astype(str),
                "kind": all_kind.astype(str),
            },
            all_geoms,
            (1,),
        ),
        "hotspots": frame(
            {"weight": iweight.astype(float), "category": icat.astype(str)},
            shapely.points(ixy),
            (0,),
        ),
        "buildings": frame({"height_m": height.astype(float)}, bparts, (3,)),
        "cameras": frame(
            {
                "owner": np.asarray(cams_owner, dtype=str),
                "heading_deg": np.round(np.concatenate(cams_head), 1).astype(float),
                "cameras": np.concatenate(cams_n).astype(np.int64),
            },
            cam_geom,
            (0,),
        ),
        "privacy_zones": frame({"name": pz_name.astype(str)}, pz_geom, (3,)),
        "landmarks": frame(
            {
                "kind": np.asarray(lm_kind, dtype=str),
                "name": np.asarray(lm_name, dtype=str),
                "weight": np.concatenate(lm_w).astype(float),
            },
            shapely.points(np.vstack(lm_xy)),
            (0,),
        ),
    }
    return city
