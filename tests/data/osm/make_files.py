"""Write the small hand-written OSM test files of tests/test_osm.py (the files are committed).

Run from anywhere: ``python tests/data/osm/make_files.py``. Every file is small enough to read
in an editor; this script only keeps node ids and coordinates consistent.
"""

from pathlib import Path
from xml.sax.saxutils import quoteattr

OUT = Path(__file__).parent
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<osm version="0.6" generator="coverage tests (hand-written)">\n'
)


class F:
    def __init__(self, note):
        self.nodes, self.ways, self.note = [], [], note

    def node(self, nid, lon, lat, **tags):
        self.nodes.append((nid, lon, lat, tags))

    def way(self, wid, refs, **tags):
        self.ways.append((wid, refs, tags))

    def text(self):
        out = [HEAD, f" <!-- {self.note} -->\n"]
        for nid, lon, lat, tags in sorted(self.nodes):
            if tags:
                out.append(f' <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">\n')
                out += [
                    f"  <tag k={quoteattr(k.replace('__', ':'))} v={quoteattr(v)}/>\n"
                    for k, v in tags.items()
                ]
                out.append(" </node>\n")
            else:
                out.append(f' <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        for wid, refs, tags in self.ways:
            out.append(f' <way id="{wid}" version="1">\n')
            out += [f'  <nd ref="{r}"/>\n' for r in refs]
            out += [
                f"  <tag k={quoteattr(k.replace('__', ':'))} v={quoteattr(v)}/>\n"
                for k, v in tags.items()
            ]
            out.append(" </way>\n")
        out.append("</osm>\n")
        return "".join(out)


def line(f, wid, row, **tags):
    """A 2-node east-west way at row `row` (rows 0.0005 deg of latitude apart, about 56 m)."""
    a, b = 1000 + 2 * wid, 1001 + 2 * wid
    lat = 50.0 + 0.0005 * row
    f.node(a, 9.0, lat)
    f.node(b, 9.001, lat)
    f.way(wid, [a, b], **tags)


def square(f, wid, lon, lat, size, **tags):
    ids = [1000 + 10 * wid + k for k in range(4)]
    for i, (dx, dy) in zip(ids, [(0, 0), (size, 0), (size, size), (0, size)], strict=True):
        f.node(i, lon + dx, lat + dy)
    f.way(wid, [*ids, ids[0]], **tags)


def main() -> None:
    """Write every file."""
    # ---- corridors: one way per highway rule
    c = F("corridors: which highway ways are walkable (see coverage.osm)")
    rules = [
        (101, {"highway": "footway", "name": "Market Walk"}),
        (102, {"highway": "residential"}),
        (103, {"highway": "motorway"}),
        (104, {"highway": "trunk"}),
        (105, {"highway": "trunk", "foot": "yes"}),
        (106, {"highway": "service", "foot": "no"}),
        (107, {"highway": "service", "access": "private"}),
        (108, {"highway": "service", "access": "private", "foot": "yes"}),
        (109, {"highway": "corridor"}),
        (110, {"highway": "footway", "indoor": "yes"}),
        (111, {"highway": "construction"}),
        (112, {"highway": "steps"}),
        (113, {"highway": "primary", "name": "High Street"}),
        (114, {"waterway": "river"}),
        (115, {"highway": "footway", "foot": "use_sidepath"}),
        (116, {"highway": "motorway_link", "foot": "yes"}),
    ]
    for row, (wid, tags) in enumerate(rules):
        line(c, wid, row, **tags)
    square(c, 117, 9.002, 50.0, 0.0003, highway="pedestrian", area="yes", name="Square")
    (OUT / "corridors.osm").write_text(c.text())

    # ---- buildings: heights
    b = F("buildings: height, building:levels x 3 m, else the default height")
    line(b, 101, 0, highway="footway")
    blds = [
        (201, {"height": "12"}),
        (202, {"height": "12 m"}),
        (203, {"height": "12.5m"}),
        (204, {"height": "40'"}),
        (205, {"height": "tall", "building:levels": "4"}),
        (206, {"building:levels": "3"}),
        (207, {"building:levels": "several"}),
        (208, {}),
        (209, {"height": "7,5", "building:levels": "10"}),
        (210, {"height": "40 ft"}),
    ]
    for k, (wid, tags) in enumerate(blds):
        tags = {kk.replace(":", "__"): v for kk, v in tags.items()}
        square(b, wid, 9.0 + 0.0002 * k, 50.0002, 0.0001, building="yes", **tags)
    square(b, 211, 9.0, 50.0006, 0.0001, building="no", amenity="parking")
    (OUT / "buildings.osm").write_text(b.text())

    # ---- cameras
    m = F("cameras: man_made=surveillance, headings, dome, operator")
    line(m, 101, 0, highway="footway")
    cams = [
        (201, {"camera:direction": "N", "operator": "City Police", "surveillance:type": "camera"}),
        (202, {"camera:direction": "NE"}),
        (203, {"camera:direction": "135"}),
        (204, {"camera:direction": "sideways"}),
        (205, {"direction": "ENE"}),
        (206, {"camera:type": "dome"}),
        (207, {"surveillance:type": "guard"}),
        (208, {}),
        (209, {"camera:direction": "45;225"}),
        (210, {"camera:direction": "-90"}),
        (211, {"camera:direction": "north-west"}),
        (212, {"camera:type": "panning", "operator": "MTR"}),
        (213, {"camera:direction": "90", "direction": "180"}),
        (214, {"camera:direction": "22.5°", "operator": "  "}),
    ]
    for k, (nid, tags) in enumerate(cams):
        tags = {kk.replace(":", "__"): v for kk, v in tags.items()}
        m.node(nid, 9.0 + 0.00007 * k, 50.00005, man_made="surveillance", **tags)
    (OUT / "cameras.osm").write_text(m.text())

    # ---- hotspots and landmarks
    h = F("hotspots and landmarks: POIs by category, polygons by a point inside")
    line(h, 101, 0, highway="footway")
    pois = [
        (201, {"amenity": "bar", "name": "Bar One", "description": 'says "hi", a=>b \\ c'}),
        (202, {"amenity": "nightclub"}),
        (203, {"amenity": "atm"}),
        (204, {"shop": "bakery"}),
        (205, {"shop": "jewelry"}),
        (206, {"amenity": "restaurant", "shop": "convenience"}),
        (207, {"amenity": "bench"}),
        (208, {"railway": "station", "public_transport": "station", "name": "Central"}),
        (209, {"railway": "subway_entrance", "ref": "A1"}),
    ]
    for k, (nid, tags) in enumerate(pois):
        h.node(nid, 9.0 + 0.0001 * k, 50.00005, **tags)
    square(h, 301, 9.0, 50.0003, 0.0002, amenity="marketplace", name="Old Market")
    square(h, 302, 9.0005, 50.0003, 0.0002, building="retail", shop="mall")
    (OUT / "hotspots.osm").write_text(h.text())

    # ---- districts
    d = F("districts: boundary=administrative at several admin_levels")
    square(d, 501, 9.0, 50.0, 0.001, boundary="administrative", admin_level="10", name="Nord")
    square(d, 502, 9.0, 49.999, 0.001, boundary="administrative", admin_level="10", name="Süd")
    square(d, 503, 9.002, 50.0, 0.001, boundary="administrative", admin_level="10", name="Nord")
    square(d, 504, 8.999, 49.998, 0.005, boundary="administrative", admin_level="8", name="Stadt")
    square(d, 505, 9.0025, 49.999, 0.0005, boundary="administrative", admin_level="9")
    d.node(1, 9.0005, 49.9995)
    d.node(2, 9.0005, 50.0005)
    d.way(101, [1, 2], highway="footway")
    (OUT / "districts.osm").write_text(d.text())

    # ---- no walkable street
    n = F("no walkable street: a motorway only")
    line(n, 101, 0, highway="motorway")
    (OUT / "no_walkable.osm").write_text(n.text())

    # ---- two boundaries at one level that overlap
    z = F("districts that overlap: an error naming both elements")
    square(z, 701, 9.0, 50.0, 0.001, boundary="administrative", admin_level="10", name="West")
    square(z, 702, 9.0005, 50.0, 0.001, boundary="administrative", admin_level="10", name="East")
    z.node(1, 9.0002, 50.0005)
    z.node(2, 9.0012, 50.0005)
    z.way(101, [1, 2], highway="footway")
    (OUT / "overlapping_districts.osm").write_text(z.text())

    # ---- privacy zones: one polygon per category rule, and polygons that are none
    v = F("privacy zones: homes, children, worship, health (see coverage.osm.PRIVACY_CATEGORIES)")
    square(v, 801, 9.0000, 50.0, 0.0005, landuse="residential", name="Estate")
    square(v, 802, 9.0010, 50.0, 0.0003, amenity="school", name="Primary School")
    square(v, 803, 9.0020, 50.0, 0.0002, leisure="playground")
    square(v, 804, 9.0030, 50.0, 0.0002, amenity="place_of_worship", name="Temple")
    square(v, 805, 9.0040, 50.0, 0.0002, amenity="clinic", name="Clinic")
    square(v, 806, 9.0050, 50.0, 0.0002, building="yes")  # a building: not a zone
    square(v, 807, 9.0060, 50.0, 0.0002, landuse="commercial")  # not a zone
    square(v, 808, 9.0070, 50.0, 0.0002, building="yes", amenity="hospital")  # health, a building
    v.node(1, 9.0, 50.002)
    v.node(2, 9.008, 50.002)
    v.way(101, [1, 2], highway="footway")
    (OUT / "privacy.osm").write_text(v.text())

    text = (OUT / "cameras.osm").read_text()
    (OUT / "broken.osm").write_text(text[: len(text) // 2])
    (OUT / "empty.osm").write_text("")
    (OUT / "nothing.osm").write_text(HEAD + "</osm>\n")
    (OUT / "not_osm.osm").write_text('{"type": "FeatureCollection", "features": []}\n')


if __name__ == "__main__":
    main()
