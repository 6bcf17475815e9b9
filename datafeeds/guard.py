"""Judge a decoded event against the clock and the county: time bounds, deadlines, inside or outside the county.

The bytes-level checks live in `datafeeds.jsonguard` and the contract in `datafeeds.contract`; what needs the
current time or the county's shape is here, and the applier calls it for every message before applying it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from datafeeds.contract import ContractError, Envelope
from datafeeds.county import point_in_ring
from datafeeds.jsonguard import DEFAULT_MAX_BYTES, MAX_DEPTH

DEADLINE_HORIZON = timedelta(days=366)
"""How far from its event's `at` a sign/resolve deadline may lie (a year and a day; DOMAIN.md's longest is
45 working days). Working-day arithmetic walks the calendar day by day, so a deadline in the year 9999 would
cost the ingest seconds of CPU per message."""


@dataclass(frozen=True, slots=True)
class FeedLimits:
    """The bounds a feed message must keep (settings `ZHONGSHU_FEED_MAX_BYTES`, `…_MAX_FUTURE_SECONDS`,
    `…_MAX_AGE_DAYS`)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = MAX_DEPTH
    max_future: timedelta = timedelta(minutes=10)
    max_age: timedelta = timedelta(days=730)
    deadline_horizon: timedelta = DEADLINE_HORIZON


def _within(value: datetime, low: datetime, high: datetime) -> int:
    """Return -1 when value is before low, 1 when after high, else 0 (years 1 and 9999 included)."""
    try:
        return -1 if value < low else 1 if value > high else 0
    except OverflowError:  # an aware datetime at the very edge of the calendar
        return -1 if value.year < 5000 else 1


def check_times(event: Envelope, now: datetime, limits: FeedLimits) -> None:
    """Raise ContractError when the event's `at` or a deadline it carries is out of bounds."""
    side = _within(event.at, now - limits.max_age, now + limits.max_future)
    if side > 0:
        raise ContractError("future_timestamp",
                            f"at {event.at.isoformat()} is more than {limits.max_future} after {now.isoformat()}")
    if side < 0:
        raise ContractError("past_timestamp",
                            f"at {event.at.isoformat()} is more than {limits.max_age} before {now.isoformat()}")
    for name in ("sign_due", "resolve_due"):
        due = getattr(event.data, name, None)
        if due is not None and _within(due, event.at - limits.deadline_horizon,
                                       event.at + limits.deadline_horizon) != 0:
            raise ContractError("bad_deadline", f"{name} {due.isoformat()} is more than "
                                                f"{limits.deadline_horizon.days} days from at {event.at.isoformat()}")


Ring = list[tuple[float, float]]


class CountyShape:
    """The area a county covers, from its places' GeoJSON polygons, to flag positions outside it.

    The county's own polygons (tier 04; several for a city-level deployment) when the store has them, else
    its townships' (05). With neither, nothing is flagged.
    """

    def __init__(self, polygons: Iterable[dict[str, Any]]) -> None:
        self.parts: list[tuple[Ring, list[Ring]]] = []
        for geometry in polygons:
            kind, coords = geometry.get("type"), geometry.get("coordinates") or []
            for poly in coords if kind == "MultiPolygon" else [coords] if kind == "Polygon" else []:
                rings = [[(float(p[0]), float(p[1])) for p in ring] for ring in poly]
                if rings and len(rings[0]) >= 4:
                    self.parts.append((rings[0], rings[1:]))
        points = [p for outer, _ in self.parts for p in outer]
        self.bounds = ((min(p[0] for p in points), min(p[1] for p in points),
                        max(p[0] for p in points), max(p[1] for p in points)) if points else None)

    @classmethod
    def from_places(cls, places: Iterable[tuple[str, dict[str, Any] | None]]) -> CountyShape:
        """Build the shape from (tier, polygon) pairs as the places table holds them."""
        by_tier: dict[str, list[dict[str, Any]]] = {}
        for tier, polygon in places:
            if polygon:
                by_tier.setdefault(tier, []).append(polygon)
        return cls(by_tier.get("04") or by_tier.get("05") or [])

    def outside(self, lat: float, lon: float) -> bool:
        """Say whether a WGS-84 position lies outside the county (False when no shape is known)."""
        if self.bounds is None:
            return False
        west, south, east, north = self.bounds
        if not (west <= lon <= east and south <= lat <= north):
            return True
        for outer, holes in self.parts:
            if point_in_ring(lon, lat, outer) and not any(point_in_ring(lon, lat, h) for h in holes):
                return False
        return True
