"""Static PNG figures."""

from __future__ import annotations

import pandas as pd
import pytest

from coverage.errors import InputError
from coverage.render import plot_curve, plot_map


def test_plot_map_and_curve(tiny, tmp_path):
    scene, plan = tiny
    p = plot_map(scene, plan, tmp_path / "map.png", dpi=50)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    curve = pd.DataFrame(
        {"budget": [1, 5, 10], "objective": [1.0, 4.0, 6.0], "upper_bound": [1.0, 4.5, 7.0]}
    )
    q = plot_curve(curve, tmp_path / "curve.png", dpi=50)
    assert q.read_bytes()[:4] == b"\x89PNG"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["curve.png", "map.png"]
    with pytest.raises(InputError, match="upper_bound"):
        plot_curve(curve.drop(columns="upper_bound"), tmp_path / "bad.png")


def test_plot_map_names_the_working_crs(tiny, tmp_path, monkeypatch):
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    texts = []
    savefig = Figure.savefig

    def spy(self, *args, **kwargs):
        texts.extend(t.get_text() for t in self.findobj(Text))
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    scene, plan = tiny
    plot_map(scene, plan, tmp_path / "map.png", dpi=30)
    assert "Distances in metres, working CRS EPSG:2326 (Hong Kong 1980 Grid System)" in texts
