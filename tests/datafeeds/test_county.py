"""The synthetic county: counts, codes, polygons that tile, determinism, and loading into a real DB."""

from __future__ import annotations

import random
import re
from pathlib import Path

from sqlalchemy import func, select

from datafeeds.county import (
    County,
    PlaceSpec,
    build_county,
    load_county,
    point_in_ring,
    random_point_in,
    shoelace_area,
)
from datafeeds.db import make_engine, make_sessionmaker, migrate
from datafeeds.models import Department, Place


def _is_convex_ccw(p: PlaceSpec) -> bool:
    ring = p.ring()[:-1]
    n = len(ring)
    for k in range(n):
        (x0, y0), (x1, y1), (x2, y2) = ring[k], ring[(k + 1) % n], ring[(k + 2) % n]
        if (x1 - x0) * (y2 - y1) - (y1 - y0) * (x2 - x1) <= 0:
            return False
    return True


def test_counts_codes_and_names_are_plausible() -> None:
    county = build_county()
    towns, villages = county.townships(), county.villages()
    assert county.code == "439901" and county.name == "示范县"
    assert 10 <= len(towns) <= 14
    assert 120 <= len(villages) <= 180
    assert towns[0].name == "城关镇"
    assert len(villages) == sum(len(county.villages(t.code)) for t in towns)
    seat_villages = county.villages(towns[0].code)
    assert len(seat_villages) == max(len(county.villages(t.code)) for t in towns)
    assert any(v.name.endswith("社区") for v in seat_villages)
    codes = [p.code for p in county.places]
    assert len(codes) == len(set(codes))
    for t in towns:
        assert re.fullmatch(r"439901\d{3}", t.code) and t.parent_code == county.code
        assert t.name[-1] in "镇乡"
        for v in county.villages(t.code):
            assert re.fullmatch(rf"{t.code}\d{{3}}", v.code)
            assert v.name.endswith(("村", "社区"))
    assert len({v.name for v in villages}) == len(villages)


def test_township_and_village_polygons_tile_without_gaps_or_overlaps() -> None:
    county = build_county()
    county_area = shoelace_area(county.county.ring())
    assert county_area > 0
    assert abs(sum(shoelace_area(t.ring()) for t in county.townships()) - county_area) < 1e-9
    for t in county.townships():
        village_area = sum(shoelace_area(v.ring()) for v in county.villages(t.code))
        assert abs(village_area - shoelace_area(t.ring())) < 1e-9
    # Equal sums could hide an overlap cancelling a gap: every point of the county must lie in exactly
    # one township and one village, and no point outside it in any.
    south, west, north, east = county.bounds()
    rng = random.Random(3)
    inside = 0
    for _ in range(3000):
        lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        in_county = point_in_ring(lon, lat, county.county.ring())
        towns = [t for t in county.townships() if point_in_ring(lon, lat, t.ring())]
        vills = [v for v in county.villages() if point_in_ring(lon, lat, v.ring())]
        assert len(towns) == len(vills) == (1 if in_county else 0)
        if in_county:
            inside += 1
            assert vills[0].parent_code == towns[0].code
    assert inside > 1500


def test_polygons_are_closed_convex_and_hold_their_centroids() -> None:
    county = build_county()
    for p in county.places:
        ring = p.ring()
        assert p.polygon["type"] == "Polygon"
        assert ring[0] == ring[-1]
        assert point_in_ring(p.lon, p.lat, ring), p.code
        if p.tier != "04":
            assert _is_convex_ccw(p), p.code


def test_the_county_sits_near_113_1e_27_8n_with_the_asked_extent() -> None:
    south, west, north, east = build_county().bounds()
    assert 112.7 < west < 112.95 and 113.25 < east < 113.5
    assert 27.5 < south < 27.7 and 27.9 < north < 28.1
    assert 0.4 < east - west < 0.65 and 0.3 < north - south < 0.55


def test_same_seed_same_county_other_seed_other_county() -> None:
    a, b, c = build_county(seed=7), build_county(seed=7), build_county(seed=8)
    assert a == b
    assert a.places != c.places
    assert [t.name for t in a.townships()] != [t.name for t in c.townships()] or a.places != c.places
    other = build_county("另一县", seed=7, code="439902")
    assert other.county.name == "另一县" and all(p.code.startswith("439902") for p in other.places)


def test_geojson_per_tier() -> None:
    county = build_county()
    fc = county.geojson("06")
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == len(county.villages())
    props = fc["features"][0]["properties"]
    assert {"code", "name", "tier"} <= set(props) and props["tier"] == "06"
    assert len(county.geojson("05")["features"]) == len(county.townships())
    assert len(county.geojson("04")["features"]) == 1


def test_departments_cover_the_domain_list_and_every_township() -> None:
    county = build_county()
    names = {d.name for d in county.departments}
    for expected in ("信访局", "司法局", "法院诉讼服务", "检察院", "公安局", "交警大队",
                     "人社局(劳动仲裁)", "住建局", "自然资源局", "卫健局", "市场监管局", "城管局", "民政局",
                     "妇联", "网格管理中心"):
        assert expected in names
    for d in county.departments:
        assert re.fullmatch(r"[A-Za-z0-9_\-]{1,32}", d.code)
        assert d.kind in {"functional", "judicial", "township"}
        assert d.stationing in {"permanent", "rotating", "on_call"}
    for t in county.townships():
        office = county.department(f"zz-{t.code}")
        assert office.kind == "township" and office.place_code == t.code and "综治办" in office.name


def test_random_points_fall_inside_their_village() -> None:
    county = build_county()
    rng = random.Random(11)
    for v in county.villages()[:40]:
        for _ in range(20):
            lat, lon = random_point_in(v, rng)
            assert point_in_ring(lon, lat, v.ring())


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        places = conn.execute(select(func.count()).select_from(Place)).scalar_one()
        depts = conn.execute(select(func.count()).select_from(Department)).scalar_one()
    engine.dispose()
    return places, depts


def test_loads_into_sqlite_and_a_second_load_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'county.db'}"
    engine = make_engine(url)
    migrate(engine)
    county: County = build_county()
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        first = load_county(session, county)
        session.commit()
    assert first.inserted == len(county.places) + len(county.departments) and first.updated == 0
    with sessions() as session:
        second = load_county(session, county)
        assert not session.dirty and not session.new
        session.commit()
    assert (second.inserted, second.updated) == (0, 0)
    assert _counts(url) == (len(county.places), len(county.departments))
    with sessions() as session:
        seat = session.get(Place, county.townships()[0].code)
        assert seat is not None and seat.name == "城关镇" and seat.parent_code == county.code
        assert seat.polygon == county.townships()[0].polygon
        assert seat.name_en == "Chengguan Town"
        office = session.get(Department, f"zz-{seat.code}")
        assert office is not None and office.kind == "township" and office.place_code == seat.code
        seat.name = "改名镇"
        session.commit()
    with sessions() as session:
        again = load_county(session, county)
        session.commit()
        assert (again.inserted, again.updated) == (0, 1)
        restored = session.get(Place, county.townships()[0].code)
        assert restored is not None and restored.name == "城关镇"
    engine.dispose()
