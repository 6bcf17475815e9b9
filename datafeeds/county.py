"""Build a synthetic county (townships, villages with tiling polygons, departments) and load it into the DB.

Geometry: township quads sit on a jittered 4×3 lattice, so neighbours share vertices and the county is
their union. Each township is split into a 3–4 × 3–4 grid of villages by bilinear interpolation of its
quad; only interior vertices get jitter across the edges, so village vertices on a township edge stay on
that straight edge and the villages tile their township without gaps or overlaps. Jitter stays small
enough that every quad is convex, so each centroid lies inside its polygon. Coordinates are WGS-84,
GeoJSON order [lon, lat].
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from datafeeds.models import Department, Place
from datafeeds.simnames import (
    SEAT,
    SEAT_COMMUNITIES,
    SURNAMES,
    TOWNSHIP_POOL,
    VILLAGE_SUFFIXES,
    VILLAGE_WORDS,
)

Point = tuple[float, float]  # (lon, lat)

CENTER_LON, CENTER_LAT = 113.10, 27.80
EXTENT_LON, EXTENT_LAT = 0.5, 0.4
COLS, ROWS = 4, 3
TOWNSHIP_JITTER = 0.22  # share of a lattice cell; below ~0.35 keeps every quad convex
VILLAGE_JITTER = 0.2

# (code, name, English name, kind, stationing): the departments DOMAIN.md lists.
COUNTY_DEPARTMENTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("xfj", "信访局", "Letters and Visits Bureau", "functional", "permanent"),
    ("sfj", "司法局", "Justice Bureau", "judicial", "permanent"),
    ("fy", "法院诉讼服务", "Court Litigation Service", "judicial", "permanent"),
    ("jcy", "检察院", "Procuratorate", "judicial", "rotating"),
    ("gaj", "公安局", "Public Security Bureau", "judicial", "permanent"),
    ("jjdd", "交警大队", "Traffic Police Brigade", "judicial", "on_call"),
    ("rsj", "人社局(劳动仲裁)", "Human Resources and Social Security (Labour Arbitration)", "functional",
     "permanent"),
    ("zjj", "住建局", "Housing and Construction Bureau", "functional", "rotating"),
    ("zrzyj", "自然资源局", "Natural Resources Bureau", "functional", "rotating"),
    ("wjj", "卫健局", "Health Commission", "functional", "on_call"),
    ("scjgj", "市场监管局", "Market Regulation Bureau", "functional", "rotating"),
    ("cgj", "城管局", "Urban Management Bureau", "functional", "on_call"),
    ("mzj", "民政局", "Civil Affairs Bureau", "functional", "rotating"),
    ("fl", "妇联", "Women's Federation", "functional", "rotating"),
    ("wgzx", "网格管理中心", "Grid Management Center", "functional", "permanent"),
)


@dataclass(frozen=True, slots=True)
class PlaceSpec:
    """A county (04), township (05) or village (06) with centroid and GeoJSON Polygon."""

    code: str
    name: str
    name_en: str
    tier: str
    parent_code: str | None
    lat: float
    lon: float
    polygon: dict[str, Any]

    def ring(self) -> list[Point]:
        """Return the exterior ring as (lon, lat) tuples, closed."""
        return [(float(p[0]), float(p[1])) for p in self.polygon["coordinates"][0]]


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    """A department cases are assigned to."""

    code: str
    name: str
    name_en: str
    kind: str
    stationing: str
    place_code: str | None


@dataclass(frozen=True)
class County:
    """A county with its places (county first, then townships, then villages) and departments."""

    code: str
    name: str
    places: tuple[PlaceSpec, ...]
    departments: tuple[DepartmentSpec, ...]
    _index: dict[str, PlaceSpec] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({p.code: p for p in self.places})

    @property
    def county(self) -> PlaceSpec:
        """Return the county's own place (tier 04)."""
        return self._index[self.code]

    def place(self, code: str) -> PlaceSpec:
        """Return a place by code; KeyError when unknown."""
        return self._index[code]

    def townships(self) -> tuple[PlaceSpec, ...]:
        """Return the townships, the county seat first."""
        return tuple(p for p in self.places if p.tier == "05")

    def villages(self, township_code: str | None = None) -> tuple[PlaceSpec, ...]:
        """Return the villages of one township, or of the whole county when None."""
        return tuple(
            p for p in self.places
            if p.tier == "06" and (township_code is None or p.parent_code == township_code)
        )

    def department(self, code: str) -> DepartmentSpec:
        """Return a department by code; KeyError when unknown."""
        for dep in self.departments:
            if dep.code == code:
                return dep
        raise KeyError(code)

    def bounds(self) -> tuple[float, float, float, float]:
        """Return (south, west, north, east) of the county."""
        ring = self.county.ring()
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        return min(lats), min(lons), max(lats), max(lons)

    def geojson(self, tier: str) -> dict[str, Any]:
        """Return a FeatureCollection of the places of one tier ("04", "05" or "06")."""
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": p.code,
                    "geometry": p.polygon,
                    "properties": {"code": p.code, "name": p.name, "tier": p.tier,
                                   "parent_code": p.parent_code},
                }
                for p in self.places if p.tier == tier
            ],
        }


def shoelace_area(ring: list[Point]) -> float:
    """Return the signed planar area of a closed ring (positive when counter-clockwise)."""
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))


def centroid(ring: list[Point]) -> Point:
    """Return the area centroid (lon, lat) of a closed simple ring."""
    a = shoelace_area(ring)
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return cx / (6 * a), cy / (6 * a)


def point_in_ring(lon: float, lat: float, ring: list[Point]) -> bool:
    """Return whether a point lies inside a closed ring (even-odd rule)."""
    inside = False
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def _polygon(ring: list[Point]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x, y] for x, y in ring]]}


def _bilinear(quad: tuple[Point, Point, Point, Point], u: float, v: float) -> Point:
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = quad  # SW, SE, NE, NW
    return (
        (1 - u) * (1 - v) * ax + u * (1 - v) * bx + u * v * cx + (1 - u) * v * dx,
        (1 - u) * (1 - v) * ay + u * (1 - v) * by + u * v * cy + (1 - u) * v * dy,
    )


def _param_grid(n: int, m: int, rng: random.Random) -> list[list[tuple[float, float]]]:
    # Parameters (u, v) per grid vertex: interior ones move in both directions, edge ones only along
    # their edge (so they stay on the township's straight side), corners not at all.
    grid: list[list[tuple[float, float]]] = []
    for i in range(n + 1):
        col: list[tuple[float, float]] = []
        for j in range(m + 1):
            u, v = i / n, j / m
            if 0 < i < n:
                u += rng.uniform(-VILLAGE_JITTER, VILLAGE_JITTER) / n
            if 0 < j < m:
                v += rng.uniform(-VILLAGE_JITTER, VILLAGE_JITTER) / m
            col.append((u, v))
        grid.append(col)
    return grid


def _quad_ring(q: tuple[Point, Point, Point, Point]) -> list[Point]:
    return [q[0], q[1], q[2], q[3], q[0]]


def _unique_village_name(rng: random.Random, used: set[str]) -> tuple[str, str]:
    weights = [w for _, _, w in SURNAMES]
    while True:
        if rng.random() < 0.55:
            zh, py, _ = rng.choices(SURNAMES, weights)[0]
            sfx, sfx_py = rng.choice(VILLAGE_SUFFIXES)
            name, en = f"{zh}{sfx}村", f"{py}{sfx_py} Village"
        else:
            word, word_py = rng.choice(VILLAGE_WORDS)
            name, en = f"{word}村", f"{word_py} Village"
        if name not in used:
            used.add(name)
            return name, en


def _place(code: str, name: str, en: str, tier: str, parent: str | None, ring: list[Point]) -> PlaceSpec:
    lon, lat = centroid(ring)
    return PlaceSpec(code, name, en, tier, parent, lat, lon, _polygon(ring))


def build_county(
    name: str = "示范县", seed: int = 7, code: str = "439901", name_en: str | None = None
) -> County:
    """Build a deterministic synthetic county of ~12 townships and ~150 villages."""
    if len(code) != 6 or not code.isdigit():
        raise ValueError("a county code has 6 digits")
    rng = random.Random(seed)
    w, h = EXTENT_LON / COLS, EXTENT_LAT / ROWS
    west, south = CENTER_LON - EXTENT_LON / 2, CENTER_LAT - EXTENT_LAT / 2
    lattice = [
        [
            (west + i * w + rng.uniform(-TOWNSHIP_JITTER, TOWNSHIP_JITTER) * w,
             south + j * h + rng.uniform(-TOWNSHIP_JITTER, TOWNSHIP_JITTER) * h)
            for j in range(ROWS + 1)
        ]
        for i in range(COLS + 1)
    ]
    outer = (
        [lattice[i][0] for i in range(COLS + 1)]
        + [lattice[COLS][j] for j in range(1, ROWS + 1)]
        + [lattice[i][ROWS] for i in range(COLS - 1, -1, -1)]
        + [lattice[0][j] for j in range(ROWS - 1, -1, -1)]
    )
    county_en = name_en or ("Shifan County" if name == "示范县" else name)
    places = [_place(code, name, county_en, "04", None, outer)]
    cells = [(i, j) for j in range(ROWS) for i in range(COLS)]
    seat_cell = rng.choice([(1, 1), (2, 1)])  # the seat sits near the middle
    cells.remove(seat_cell)
    rng.shuffle(cells)
    others = rng.sample(TOWNSHIP_POOL, len(cells))
    # GB/T 10114 numbering: towns (镇) 100–199, townships (乡) 200–399; communities 001–, villages 200–.
    next_no = {"镇": 101, "乡": 200}
    used_names: set[str] = set()
    seat_communities = list(SEAT_COMMUNITIES)
    rng.shuffle(seat_communities)
    villages: list[PlaceSpec] = []
    townships: list[PlaceSpec] = []
    for cell, (t_name, t_py) in [(seat_cell, SEAT), *zip(cells, others, strict=True)]:
        i, j = cell
        quad = (lattice[i][j], lattice[i + 1][j], lattice[i + 1][j + 1], lattice[i][j + 1])
        if cell == seat_cell:
            t_no = 100
        else:
            t_no = next_no[t_name[-1]]
            next_no[t_name[-1]] += 1
        t_code = f"{code}{t_no:03d}"
        t_en = f"{t_py} {'Town' if t_name.endswith('镇') else 'Township'}"
        townships.append(_place(t_code, t_name, t_en, "05", code, _quad_ring(quad)))
        # The seat is the busiest and most subdivided township.
        n, m = (4, 4) if cell == seat_cell else (rng.choice((3, 4)), rng.choice((3, 4)))
        grid = _param_grid(n, m, rng)
        pts = [[_bilinear(quad, u, v) for (u, v) in col] for col in grid]
        communities = round(n * m * 0.6) if cell == seat_cell else 0
        community_no, village_no = 1, 200
        for vi in range(n):
            for vj in range(m):
                ring = _quad_ring((pts[vi][vj], pts[vi + 1][vj], pts[vi + 1][vj + 1], pts[vi][vj + 1]))
                if communities > 0:
                    zh, py = seat_communities.pop()
                    v_name, v_en, number = f"{zh}社区", f"{py} Community", community_no
                    used_names.add(v_name)
                    communities -= 1
                    community_no += 1
                else:
                    v_name, v_en = _unique_village_name(rng, used_names)
                    number = village_no
                    village_no += 1
                villages.append(_place(f"{t_code}{number:03d}", v_name, v_en, "06", t_code, ring))
    departments = [DepartmentSpec(c, n_, en, kind, st, code) for c, n_, en, kind, st in COUNTY_DEPARTMENTS]
    townships.sort(key=lambda t: t.code)
    villages.sort(key=lambda v: v.code)
    departments += [
        DepartmentSpec(f"zz-{t.code}", f"{t.name}综治办", f"{t.name_en} Governance Office", "township",
                       "permanent", t.code)
        for t in townships
    ]
    return County(code, name, tuple(places + townships + villages), tuple(departments))


def random_point_in(place: PlaceSpec, rng: random.Random) -> tuple[float, float]:
    """Return a uniformly random (lat, lon) inside a place's polygon."""
    ring = place.ring()
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    lo_x, hi_x, lo_y, hi_y = min(lons), max(lons), min(lats), max(lats)
    for _ in range(200):
        lon, lat = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
        if point_in_ring(lon, lat, ring):
            return lat, lon
    return place.lat, place.lon  # unreachable for the convex quads we build; a safe pin anyway


class LoadResult(NamedTuple):
    """How many rows `load_county` inserted and updated."""

    inserted: int
    updated: int


def _sync(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def load_county(session: Session, county: County) -> LoadResult:
    """Upsert the county's places (parents first) and departments; idempotent; the caller commits."""
    inserted = updated = 0
    for tier in ("04", "05", "06"):
        for p in county.places:
            if p.tier != tier:
                continue
            values = {"name": p.name, "name_en": p.name_en, "tier": p.tier, "parent_code": p.parent_code,
                      "lat": p.lat, "lon": p.lon, "polygon": p.polygon}
            row = session.get(Place, p.code)
            if row is None:
                session.add(Place(code=p.code, **values))
                inserted += 1
            elif _sync(row, values):
                updated += 1
        session.flush()  # children reference parents through a foreign key
    for d in county.departments:
        dvalues = {"name": d.name, "name_en": d.name_en, "kind": d.kind, "stationing": d.stationing,
                   "place_code": d.place_code}
        dep = session.get(Department, d.code)
        if dep is None:
            session.add(Department(code=d.code, **dvalues))
            inserted += 1
        elif _sync(dep, dvalues):
            updated += 1
    session.flush()
    return LoadResult(inserted, updated)
