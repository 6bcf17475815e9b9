"""Compute working-day deadlines (时限) on the Chinese calendar, pre-warnings and 督办 levels.

The calendar comes from `holidays` (country CN), which knows public holidays and the make-up working weekends
(调休). `chinese-calendar` is not used: it raises for a year the State Council has not announced yet, and
deadlines cross New Year every December.

Model: the deadline clock runs only on working days, all 24 hours of them, in the local time zone
(Asia/Shanghai by default). "N working days after Monday 10:00" is the next working day N at 10:00;
a case assigned on a Saturday starts its clock at 00:00 of the next working day. Fractional days are
hours of that clock (0.5 day = 12 hours).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from datafeeds.clock import SHANGHAI

_DAY = 86400.0


@cache
def _year_flags(year: int) -> bytes:
    # One flag per day of the year, built once per year: the holidays object is slow to query.
    cal = holidays.country_holidays("CN", years=year)
    first = date(year, 1, 1)
    n = (date(year + 1, 1, 1) - first).days
    return bytes(1 if cal.is_working_day(first + timedelta(days=i)) else 0 for i in range(n))


@cache
def _working_ordinal(ordinal: int) -> bool:
    # Cached per day on top of the per-year table: deadline loops ask about the same days again and again.
    day = date.fromordinal(ordinal)
    return _year_flags(day.year)[ordinal - date(day.year, 1, 1).toordinal()] == 1


def is_working_day(day: date) -> bool:
    """Return whether a date is a working day in China (holidays off, 调休 weekends on)."""
    return _working_ordinal(day.toordinal())


def _local(at: datetime, tz: ZoneInfo) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("deadlines need aware datetimes")
    return at.astimezone(tz)


def _seconds_of_day(local: datetime) -> float:
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def add_working_days(start: datetime, days: float, tz: ZoneInfo = SHANGHAI) -> datetime:
    """Return the instant `days` working days after `start` (aware; returned in start's zone)."""
    if days < 0:
        raise ValueError("days must not be negative")
    local = _local(start, tz)
    remaining = days * _DAY
    if remaining == 0:
        return start
    ordinal = local.toordinal()
    if _working_ordinal(ordinal):
        available = _DAY - _seconds_of_day(local)
        if remaining <= available:
            return (local + timedelta(seconds=remaining)).astimezone(start.tzinfo)
        remaining -= available
    while True:
        ordinal += 1
        if _working_ordinal(ordinal):
            if remaining <= _DAY:
                end = datetime.combine(date.fromordinal(ordinal), time(), tzinfo=tz)
                return (end + timedelta(seconds=remaining)).astimezone(start.tzinfo)
            remaining -= _DAY


def working_time_between(a: datetime, b: datetime, tz: ZoneInfo = SHANGHAI) -> timedelta:
    """Return the working-day time from `a` to `b` (negative when b is before a)."""
    if b < a:
        return -working_time_between(b, a, tz)
    la, lb = _local(a, tz), _local(b, tz)
    first, last = la.toordinal(), lb.toordinal()
    lo, hi = _seconds_of_day(la), _seconds_of_day(lb)
    if first == last:
        return timedelta(seconds=hi - lo) if _working_ordinal(first) else timedelta(0)
    total = (_DAY - lo if _working_ordinal(first) else 0.0) + (hi if _working_ordinal(last) else 0.0)
    total += _DAY * sum(1 for o in range(first + 1, last) if _working_ordinal(o))
    return timedelta(seconds=total)


@dataclass(frozen=True, slots=True)
class Limits:
    """Allowed working days to sign and to resolve; red thresholds default to `red_factor` × yellow."""

    sign_days: float
    resolve_days: float
    sign_red_days: float | None = None
    resolve_red_days: float | None = None
    red_factor: float = 2.0

    @property
    def sign_red(self) -> float:
        """Return the working days after which an unsigned case turns red."""
        return self.sign_red_days if self.sign_red_days is not None else self.sign_days * self.red_factor

    @property
    def resolve_red(self) -> float:
        """Return the working days after which an unresolved case turns red."""
        if self.resolve_red_days is not None:
            return self.resolve_red_days
        return self.resolve_days * self.red_factor

    def updated(self, override: Mapping[str, float | None]) -> Limits:
        """Return these limits with some fields replaced; unknown keys raise ValueError."""
        allowed = {f.name for f in fields(self)}
        unknown = set(override) - allowed
        if unknown:
            raise ValueError(f"unknown deadline keys {sorted(unknown)}; allowed: {sorted(allowed)}")
        return replace(self, **override)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The clocks of one assignment, all aware datetimes."""

    assigned_at: datetime
    sign_due: datetime
    sign_red: datetime
    resolve_due: datetime
    resolve_red: datetime
    prewarn: datetime


def _default_kinds() -> dict[str, Limits]:
    # DOMAIN.md: township bodies sign 1 (yellow) / 2 (red) and resolve in 2 working days; functional
    # departments sign 1/2 and resolve 5 (yellow) / 10 (red). Judicial bodies start like functional ones.
    return {
        "township": Limits(sign_days=1, resolve_days=2, sign_red_days=2, resolve_red_days=4),
        "functional": Limits(sign_days=1, resolve_days=5, sign_red_days=2, resolve_red_days=10),
        "judicial": Limits(sign_days=1, resolve_days=5, sign_red_days=2, resolve_red_days=10),
    }


@dataclass(frozen=True)
class DeadlinePolicy:
    """Deadline limits per department kind, with overrides per tier and category prefix.

    Order: the kind's limits, then the tier override, then category overrides (two-digit prefix, then
    the four-digit code). Case flags then lengthen the resolve limit, never shorten it: complex cases
    or grade 01/02 get at least `complex_days`, people's mediation at least `mediation_days`.
    """

    kinds: Mapping[str, Limits] = field(default_factory=_default_kinds)
    tiers: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    categories: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    default_kind: str = "functional"
    complex_days: float = 20.0
    complex_red_days: float = 30.0
    complex_grades: frozenset[str] = frozenset({"01", "02"})
    mediation_days: float = 30.0
    mediation_red_days: float = 45.0
    prewarn_fraction: float = 0.7
    tz: ZoneInfo = SHANGHAI

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeadlinePolicy:
        """Build a policy from a plain dict (settings/TOML); kinds merge onto the defaults."""
        known = {f.name for f in fields(cls)}
        unknown = set(config) - known
        if unknown:
            raise ValueError(f"unknown deadline policy keys {sorted(unknown)}")
        kinds = _default_kinds()
        for kind, override in dict(config.get("kinds", {})).items():
            if kind in kinds:
                kinds[kind] = kinds[kind].updated(override)
            else:
                kinds[kind] = Limits(sign_days=1, resolve_days=5).updated(override)
        scalars: dict[str, Any] = {k: v for k, v in config.items() if k not in ("kinds", "tz")}
        if "complex_grades" in scalars:
            scalars["complex_grades"] = frozenset(scalars["complex_grades"])
        if "tz" in config:
            scalars["tz"] = ZoneInfo(str(config["tz"]))
        policy = cls(kinds=kinds, **scalars)
        for override in [*policy.tiers.values(), *policy.categories.values()]:
            Limits(1, 1).updated(override)  # fail at load time, not at the first assignment
        return policy

    def limits(
        self,
        department_kind: str,
        category: str | None = None,
        grade: str | None = None,
        *,
        tier: str | None = None,
        complex_case: bool = False,
        mediation: bool = False,
    ) -> Limits:
        """Return the limits that apply to one assignment."""
        lim = self.kinds.get(department_kind) or self.kinds[self.default_kind]
        if tier is not None and tier in self.tiers:
            lim = lim.updated(self.tiers[tier])
        if category:
            for prefix in (category[:2], category) if len(category) > 2 else (category,):
                if prefix in self.categories:
                    lim = lim.updated(self.categories[prefix])
        if complex_case or (grade is not None and grade in self.complex_grades):
            lim = replace(
                lim,
                resolve_days=max(lim.resolve_days, self.complex_days),
                resolve_red_days=max(lim.resolve_red, self.complex_red_days),
            )
        if mediation:
            lim = replace(
                lim,
                resolve_days=max(lim.resolve_days, self.mediation_days),
                resolve_red_days=max(lim.resolve_red, self.mediation_red_days),
            )
        return lim

    def deadlines(
        self,
        assigned_at: datetime,
        department_kind: str,
        category: str | None = None,
        grade: str | None = None,
        **flags: Any,
    ) -> Deadlines:
        """Return every clock of an assignment (flags: tier, complex_case, mediation)."""
        lim = self.limits(department_kind, category, grade, **flags)
        resolve_due = add_working_days(assigned_at, lim.resolve_days, self.tz)
        return Deadlines(
            assigned_at=assigned_at,
            sign_due=add_working_days(assigned_at, lim.sign_days, self.tz),
            sign_red=add_working_days(assigned_at, lim.sign_red, self.tz),
            resolve_due=resolve_due,
            resolve_red=add_working_days(assigned_at, lim.resolve_red, self.tz),
            prewarn=prewarn_at(assigned_at, resolve_due, self.prewarn_fraction, self.tz),
        )

    def due(
        self,
        assigned_at: datetime,
        department_kind: str,
        category: str | None = None,
        grade: str | None = None,
        **flags: Any,
    ) -> tuple[datetime, datetime]:
        """Return (sign_due, resolve_due) of an assignment."""
        lim = self.limits(department_kind, category, grade, **flags)
        return (
            add_working_days(assigned_at, lim.sign_days, self.tz),
            add_working_days(assigned_at, lim.resolve_days, self.tz),
        )


def scaled_deadline(start: datetime, due: datetime, factor: float, tz: ZoneInfo = SHANGHAI) -> datetime:
    """Return the moment `factor` × the allowed working time from `start` to `due` has passed.

    A deadline a feed set inside a stretch with no working time (a weekend, a holiday) leaves nothing to
    scale: then the calendar time between the two is scaled instead, so a pre-warning or red threshold
    never falls on the assignment itself.
    """
    allowed = working_time_between(start, due, tz).total_seconds() / _DAY
    if allowed <= 0:
        return start + (due - start) * factor if due > start else due
    return add_working_days(start, allowed * factor, tz)


def prewarn_at(
    assigned_at: datetime, due: datetime, fraction: float = 0.7, tz: ZoneInfo = SHANGHAI
) -> datetime:
    """Return when the pre-warning (临期) fires: at `fraction` of the allowed working time."""
    return scaled_deadline(assigned_at, due, fraction, tz)
