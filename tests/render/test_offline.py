"""Offline maps: assets inlined from installed packages, the check fails closed."""

from __future__ import annotations

import pytest

from coverage.render import OfflineError, _offline, render_map
from coverage.render._prepare import escape_text


def test_offline_map_inlines_everything(tiny_html):
    html = tiny_html
    assert "<script src=" not in html and "<link " not in html
    assert "cdn.jsdelivr" not in html and "code.jquery" not in html
    assert "bootstrap" not in html.lower() and "font-awesome" not in html.lower()
    assert "(c) 2010-2022 Vladimir Agafonkin" in html  # licence header kept
    assert "url(images/" not in html and "data:image/png;base64," in html
    assert "L.Icon.Default.mergeOptions" in html
    assert '"maxZoom": 20' in html and '"preferCanvas": true' in html
    assert "L.control.scale()" in html and "L.control.layers(" in html
    _offline.check_offline(html)


def test_folium_class_lists_untouched(tiny):
    import folium
    import folium.plugins

    before = (list(folium.Map.default_js), list(folium.plugins.HeatMap.default_js))
    scene, plan = tiny
    render_map(scene, plan).get_root().render()
    assert (list(folium.Map.default_js), list(folium.plugins.HeatMap.default_js)) == before
    assert any(u.startswith("https://") for _, u in folium.Map.default_js)


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.example/x.js"></script>',
        '<link rel="stylesheet" href="//cdn.example/x.css"/>',
        "<style>.a{background:url(http://x/y.png)}</style>",
        "<style>@import 'x.css';</style>",
        "<p>see https://example.org</p>",
        '<img src="images/local.png">',
    ],
)
def test_check_offline_fails_closed(snippet):
    with pytest.raises(OfflineError, match="not self-contained"):
        _offline.check_offline(f"<html><body>{snippet}</body></html>")


def test_check_offline_accepts_data_uris_and_escaped_text():
    _offline.check_offline(
        "<style>.a{background:url(data:image/png;base64,AAAA)}</style>"
        f"<p>{escape_text('https://example.org <img src=x>')}</p>"
    )


def test_unknown_plugin_is_an_error(tiny):
    import folium.plugins

    scene, plan = tiny
    m = render_map(scene, plan)
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(OfflineError, match="no local copy"):
        m.get_root().render()
