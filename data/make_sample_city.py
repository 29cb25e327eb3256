"""Regenerate the bundled sample city, ``data/sample_city.gpkg``.

Run from the repository root::

    python data/make_sample_city.py

The city is drawn by :func:`coverage.synthetic.synthetic_city` with the fixed
arguments in ``SAMPLE_CITY_KWARGS``; the same code and arguments always give the
same layers (the tests compare a fresh run with the committed file). The file is
written atomically (temporary file, then rename).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import geopandas as gpd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from coverage.synthetic import LAYERS, synthetic_city  # noqa: E402

#: File written next to this script.
SAMPLE_CITY_PATH = HERE / "sample_city.gpkg"
#: Arguments of synthetic_city for the bundled sample ("Port Meridian", UTM 50N).
SAMPLE_CITY_KWARGS = {
    "width_m": 4000.0,
    "height_m": 3000.0,
    "n_districts": 8,
    "seed": 2026,
    "crs": "EPSG:32650",
    "origin": (360000.0, 2460000.0),
    "block_spacing_m": 95.0,
    "precision_m": 0.1,
}


def build() -> dict[str, gpd.GeoDataFrame]:
    """Return the sample city's layers (as written to the GeoPackage)."""
    return synthetic_city(**SAMPLE_CITY_KWARGS)


def write(city: dict[str, gpd.GeoDataFrame], path: Path = SAMPLE_CITY_PATH) -> Path:
    """Write every layer of `city` to one GeoPackage at `path`, atomically."""
    fd, tmp = tempfile.mkstemp(suffix=".gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        for layer in LAYERS:
            city[layer].to_file(
                tmp, layer=layer, driver="GPKG", engine="pyogrio", SPATIAL_INDEX="NO"
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def main() -> None:
    """Regenerate ``data/sample_city.gpkg`` and print a summary."""
    city = build()
    path = write(city)
    for layer in LAYERS:
        print(f"{layer:>14}: {len(city[layer]):6d} rows")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
