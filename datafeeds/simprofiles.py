"""Behaviour tables of the simulator: case mix, daily rhythm, routing and department profiles."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from datafeeds.contract import SourceChannel
from datafeeds.deadlines import is_working_day

# Share of cases per category (need not sum to 1). Neighbour, family and labour disputes dominate
# grass-roots caseloads; land and construction cases are fewer but slower and more often grouped.
CATEGORY_WEIGHTS: dict[str, float] = {
    "01": 6, "0102": 5, "02": 18, "03": 1, "04": 2, "0402": 7, "05": 3, "0502": 2, "0503": 4,
    "06": 4, "07": 2, "0701": 9, "0702": 3, "08": 4, "09": 1, "0901": 4, "0902": 6, "0903": 2,
    "10": 1, "11": 1, "1101": 2, "1102": 2, "1103": 5, "12": 2, "13": 4, "14": 1, "15": 0.3,
    "16": 0.2, "99": 2,
}
# Group incidents (群体性) cluster in wage arrears, expropriation, land and property management.
GROUP_CATEGORY_WEIGHTS: dict[str, float] = {
    "0701": 5, "1101": 2, "1102": 2, "0901": 1, "0902": 1, "0402": 2, "08": 1,
}
GROUP_P = 0.008
MAJOR_P = 0.003

# Share of cases resolved with a successful outcome, by code or top level (default below).
SUCCESS_RATE: dict[str, float] = {
    "01": 0.93, "02": 0.95, "0402": 0.9, "0503": 0.93, "07": 0.88, "08": 0.87, "09": 0.86,
    "11": 0.85, "1101": 0.85, "1102": 0.85, "14": 0.85,
}
DEFAULT_SUCCESS = 0.92

# Where a referred case goes (转诉讼·仲裁·复议·信访), by top level.
REFER_CHANNEL: dict[str, str] = {
    "07": "arbitration", "11": "reconsideration", "12": "reconsideration", "13": "reconsideration",
    "14": "petition", "15": "petition",
}

# Routing by code or top level; "township" means the case's own township 综治办.
ROUTES: dict[str, tuple[tuple[str, float], ...]] = {
    "01": (("township", 0.5), ("fl", 0.3), ("sfj", 0.2)),
    "02": (("township", 0.75), ("sfj", 0.25)),
    "03": (("sfj", 0.5), ("township", 0.3), ("gaj", 0.2)),
    "04": (("zjj", 0.4), ("township", 0.3), ("sfj", 0.3)),
    "0402": (("zjj", 0.8), ("township", 0.2)),
    "05": (("township", 0.4), ("sfj", 0.3), ("gaj", 0.3)),
    "0502": (("wjj", 0.9), ("sfj", 0.1)),
    "0503": (("jjdd", 0.9), ("fy", 0.1)),
    "06": (("sfj", 0.4), ("scjgj", 0.3), ("fy", 0.3)),
    "07": (("rsj", 0.9), ("township", 0.1)),
    "0702": (("rsj", 1.0),),
    "08": (("fy", 0.5), ("sfj", 0.3), ("gaj", 0.2)),
    "09": (("zrzyj", 0.5), ("township", 0.5)),
    "0903": (("zrzyj", 0.7), ("township", 0.3)),
    "10": (("sfj", 0.5), ("fy", 0.5)),
    "11": (("zjj", 0.5), ("zrzyj", 0.3), ("township", 0.2)),
    "1103": (("cgj", 0.5), ("zjj", 0.3), ("township", 0.2)),
    "12": (("mzj", 0.9), ("township", 0.1)),
    "13": (("scjgj", 0.4), ("cgj", 0.4), ("township", 0.2)),
    "14": (("fy", 0.4), ("jcy", 0.3), ("xfj", 0.3)),
    "15": (("xfj", 1.0),),
    "16": (("xfj", 0.5), ("township", 0.5)),
    "99": (("township", 0.6), ("wgzx", 0.4)),
}


def routes_for(category: str) -> tuple[tuple[str, float], ...]:
    """Return the routing choices of a category (its own, else its top level's, else 其他's)."""
    return ROUTES.get(category) or ROUTES.get(category[:2]) or ROUTES["99"]


# Cases per hour of the Beijing day, relative: quiet at night, peaks 9–11 and 14–17.
HOURLY_RHYTHM: tuple[float, ...] = (
    0.12, 0.08, 0.06, 0.06, 0.08, 0.15, 0.35, 0.8, 1.5, 2.3, 2.4, 1.8,
    0.9, 0.8, 1.6, 2.1, 2.2, 1.8, 1.0, 0.7, 0.55, 0.4, 0.25, 0.15,
)
NON_WORKING_DAY_FACTOR = 0.55  # weekends and holidays: windows closed, hotlines still ring
_RHYTHM_MEAN = sum(HOURLY_RHYTHM) / 24

# Source channel weights (day, night): at night only the hotlines, 110 and the internet bring cases.
SOURCE_WEIGHTS: dict[SourceChannel, tuple[float, float]] = {
    SourceChannel.GRID: (38, 2),
    SourceChannel.HOTLINE_12345: (20, 45),
    SourceChannel.WALK_IN: (14, 0.5),
    SourceChannel.POLICE_110: (9, 35),
    SourceChannel.ONLINE: (6, 17),
    SourceChannel.COURT: (5, 0.2),
    SourceChannel.PETITION: (5, 0.2),
    SourceChannel.SUPERIOR: (3, 0.1),
}

# Office hours of departments (working days only) and of the center's triage desk (every day).
OFFICE_HOURS: tuple[tuple[float, float], ...] = ((8.5, 12.0), (14.0, 17.5))
CENTER_HOURS: tuple[tuple[float, float], ...] = ((7.5, 22.0),)


# --- simulated-time helpers on epoch seconds ---------------------------------------------------
_OFFSET = 8 * 3600  # Beijing time has had no DST since 1991: fixed-offset arithmetic is exact and fast
_DAY = 86400.0
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def day_of(t: float) -> int:
    """Return the Beijing calendar day of epoch seconds, as days since 1970-01-01."""
    return int((t + _OFFSET) // _DAY)


def hour_of(t: float) -> int:
    """Return the Beijing hour (0–23) of epoch seconds."""
    return int(((t + _OFFSET) % _DAY) // 3600)


def day_date(day: int) -> date:
    """Return the date of a day index from `day_of`."""
    return date.fromordinal(_EPOCH_ORDINAL + day)


def working(day: int) -> bool:
    """Return whether a day index from `day_of` is a Chinese working day."""
    return is_working_day(day_date(day))


def after_hours(
    t: float, hours: float, segments: tuple[tuple[float, float], ...], working_only: bool
) -> float:
    """Return the moment `hours` of open time after t, counting only the daily open segments (Beijing)."""
    remaining = hours * 3600.0
    day = day_of(t)
    while True:
        if not working_only or working(day):
            midnight = day * _DAY - _OFFSET
            for lo, hi in segments:
                seg_lo, seg_hi = midnight + lo * 3600, midnight + hi * 3600
                if t < seg_hi:
                    cur = max(t, seg_lo)
                    if remaining <= seg_hi - cur:
                        return cur + remaining
                    remaining -= seg_hi - cur
                    t = seg_hi
        day += 1

def arrival_rate(t: float, cases_per_day: float) -> float:
    """Return the case arrival rate (per second) at epoch seconds t; a working day averages cases_per_day."""
    factor = 1.0 if working(day_of(t)) else NON_WORKING_DAY_FACTOR
    return cases_per_day / _DAY * HOURLY_RHYTHM[hour_of(t)] / _RHYTHM_MEAN * factor


def next_arrival(rng: random.Random, t: float, cases_per_day: float) -> float:
    """Return the next arrival after t of the rhythm-modulated Poisson process."""
    # Thinning: draw under the busiest hour's rate, keep a draw with probability rate(t)/top.
    top = cases_per_day / _DAY * max(HOURLY_RHYTHM) / _RHYTHM_MEAN
    while True:
        t += rng.expovariate(top)
        if rng.random() * top <= arrival_rate(t, cases_per_day):
            return t


@dataclass(frozen=True, slots=True)
class DeptProfile:
    """How a department behaves: sign-for speed, share of allowed time used, returns, extensions."""

    sign_hours: float  # median office hours until sign-for
    use: float  # median share of the allowed resolve time actually used (> 1 means usually late)
    use_sigma: float = 0.4
    sign_sigma: float = 0.7
    return_p: float = 0.05
    extension_p: float = 0.3
    success_shift: float = 0.0
    escalate_p: float = 0.0


# Housing/construction and natural resources are the chronic latecomers; the grid center is quick.
# Most departments finish well inside their limits (median use of the allowed time 0.2-0.5), so the
# 临期 (past 70 %) and 超期 lists hold a minority of open cases, as on a real county's wall. Even the
# latecomers mostly sign for within their one working day (median 3-3.5 office hours of the 7 a day has):
# a late sign-for keeps its 黄牌 for the case's whole life, and 督办 cards are rarer than 临期 cases.
COUNTY_PROFILES: dict[str, DeptProfile] = {
    "xfj": DeptProfile(sign_hours=1.0, use=0.45),
    "sfj": DeptProfile(sign_hours=1.5, use=0.22, return_p=0.04),
    "fy": DeptProfile(sign_hours=3.0, use=0.45, return_p=0.06),
    "jcy": DeptProfile(sign_hours=4.0, use=0.45, return_p=0.06),
    "gaj": DeptProfile(sign_hours=1.0, use=0.38, return_p=0.05),
    "jjdd": DeptProfile(sign_hours=1.0, use=0.45, return_p=0.03),
    "rsj": DeptProfile(sign_hours=2.0, use=0.45, return_p=0.04, extension_p=0.35),
    "zjj": DeptProfile(sign_hours=3.0, use=1.05, return_p=0.08, extension_p=0.4, success_shift=-0.03),
    "zrzyj": DeptProfile(sign_hours=3.5, use=1.15, return_p=0.07, extension_p=0.35, success_shift=-0.03),
    "wjj": DeptProfile(sign_hours=2.5, use=0.45, return_p=0.05),
    "scjgj": DeptProfile(sign_hours=2.0, use=0.41, return_p=0.05),
    "cgj": DeptProfile(sign_hours=2.0, use=0.49, use_sigma=0.55, return_p=0.06),
    "mzj": DeptProfile(sign_hours=2.0, use=0.41, return_p=0.04),
    "fl": DeptProfile(sign_hours=2.0, use=0.38, return_p=0.05, success_shift=0.02),
    "wgzx": DeptProfile(sign_hours=0.3, use=0.3, return_p=0.03),
}


def township_profile(rng: random.Random, slow: bool = False) -> DeptProfile:
    """Return a township 综治办's profile; a `slow` one signs late and often overruns."""
    if slow:
        return DeptProfile(sign_hours=4.0, use=1.2, return_p=0.04, extension_p=0.2, escalate_p=0.04)
    return DeptProfile(
        sign_hours=rng.uniform(0.4, 2.5),
        use=rng.uniform(0.3, 0.6),
        return_p=rng.uniform(0.02, 0.06),
        extension_p=0.2,
        escalate_p=0.03,
    )
