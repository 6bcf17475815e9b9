"""WGS-84 → GCJ-02: a published reference point, and points outside China left alone."""

from __future__ import annotations

from datafeeds.coords import geojson_to_gcj02, wgs84_to_gcj02


def test_reference_point_in_beijing() -> None:
    lat, lon = wgs84_to_gcj02(39.908823, 116.397470)  # 天安门, as AMap shows it: 39.910226, 116.403714
    assert abs(lat - 39.910226) < 2e-5 and abs(lon - 116.403714) < 2e-5


def test_outside_china_is_unchanged() -> None:
    assert wgs84_to_gcj02(48.8584, 2.2945) == (48.8584, 2.2945)


def test_polygons_shift_every_vertex() -> None:
    poly = {"type": "Polygon", "coordinates": [[[113.0, 27.8], [113.1, 27.8], [113.1, 27.9], [113.0, 27.8]]]}
    shifted = geojson_to_gcj02(poly)
    for (lon, lat), (lon2, lat2) in zip(poly["coordinates"][0], shifted["coordinates"][0], strict=True):
        assert (lat2, lon2) == wgs84_to_gcj02(lat, lon)
