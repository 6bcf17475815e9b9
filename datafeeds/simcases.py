"""Make the content of simulated cases: category, place, source, masked parties, title and amounts."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from datafeeds import categories
from datafeeds.contract import SourceChannel
from datafeeds.county import County, PlaceSpec, random_point_in
from datafeeds.simnames import (
    DESCRIPTIONS,
    GIVEN_LAST,
    ID_TYPE,
    MOBILE_PREFIXES,
    ORG_RESPONDENTS,
    SURNAMES,
    TOPICS,
)
from datafeeds.simprofiles import (
    CATEGORY_WEIGHTS,
    GROUP_CATEGORY_WEIGHTS,
    GROUP_P,
    MAJOR_P,
    SOURCE_WEIGHTS,
)

# Amount ranges (yuan) by code or top level: (individual low, high, group low, high).
AMOUNTS: dict[str, tuple[float, float, float, float]] = {
    "07": (3e3, 6e4, 2e5, 3e6), "08": (5e3, 5e5, 1e6, 2e7), "0503": (5e3, 2e5, 2e5, 1e6),
    "06": (2e3, 2e5, 2e5, 2e6), "0502": (1e4, 5e5, 5e5, 2e6), "1101": (5e4, 2e6, 1e6, 3e7),
    "1102": (3e4, 1e6, 1e6, 2e7),
}


@dataclass(slots=True)
class SimCase:
    """The simulator's running state of one case."""

    no: str
    category: str
    grade: str
    township: str
    urgent: bool
    group: bool
    long_standing: bool
    title: str
    alert_id: str | None = None
    dept: str | None = None
    gen: int = 0  # bumps on every (re)assignment so timers of an earlier assignment are ignored
    due_gen: int = 0  # bumps when an extension moves the deadline
    window_gen: int = 0  # the gen of the latest assignment (equal to gen while that assignment runs)
    assigned_at: float = 0.0
    allowed_days: float = 0.0
    red_extra_days: float = 0.0
    sign_due: float = 0.0
    sign_red: float = 0.0
    resolve_due: float = 0.0
    resolve_red: float = 0.0
    signed: bool = False
    level: int = 0  # 0 none, 1 normal, 2 yellow, 3 red
    returns: int = 0
    escalated: bool = False
    tried: list[str] = field(default_factory=list)
    done: bool = False


def mask_name(surname: str, given_last: str | None) -> str:
    """Mask a person's name as 张* or 张*明."""
    return f"{surname}*{given_last}" if given_last else f"{surname}*"


T = TypeVar("T")


class _Table(Generic[T]):
    """A fixed weighted choice with its cumulative weights computed once (random.choices redoes them)."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random) -> T:
        """Return one item drawn by weight."""
        return rng.choices(self.items, cum_weights=self.cum)[0]


def _amount(rng: random.Random, lo: float, hi: float) -> float:
    # Log-uniform: small claims are far more common than large ones.
    return float(round(math.exp(rng.uniform(math.log(lo), math.log(hi))), -2))


class CaseFactory:
    """Draw new cases for a county: the registered data plus the simulator's state."""

    def __init__(self, county: County, rng: random.Random) -> None:
        self.county = county
        self.rng = rng
        towns = county.townships()
        # The county seat (first) is the busiest; the other townships differ but stay fixed per seed.
        self.towns = _Table(towns, [3.0] + [rng.uniform(0.6, 1.4) for _ in towns[1:]])
        self.villages: dict[str, _Table[PlaceSpec]] = {}
        for t in towns:
            vills = county.villages(t.code)
            self.villages[t.code] = _Table(vills, [rng.uniform(0.5, 1.5) for _ in vills])
        self.surnames = _Table([s for s, _, _ in SURNAMES], [w for _, _, w in SURNAMES])
        self.categories = _Table(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))
        self.group_categories = _Table(list(GROUP_CATEGORY_WEIGHTS), list(GROUP_CATEGORY_WEIGHTS.values()))
        chans = list(SOURCE_WEIGHTS)
        self.sources = (_Table(chans, [SOURCE_WEIGHTS[c][0] for c in chans]),
                        _Table(chans, [SOURCE_WEIGHTS[c][1] for c in chans]))

    def _person(self, role: str, address: str) -> dict[str, Any]:
        rng = self.rng
        surname = self.surnames.pick(rng)
        # Publishers mask before Redis (DOMAIN.md): only masked forms ever leave the simulator.
        return {
            "role": role,
            "name": mask_name(surname, rng.choice(GIVEN_LAST) if rng.random() < 0.5 else None),
            "id_type": ID_TYPE,
            "id_number": f"43{rng.randint(10, 99)}**********{rng.randint(0, 9999):04d}",
            "phone": f"{rng.choice(MOBILE_PREFIXES)}****{rng.randint(0, 9999):04d}",
            "sex": rng.choice(("M", "F")),
            "address": address,
        }

    def _source(self, hour: int) -> SourceChannel:
        night = hour >= 22 or hour < 7
        return self.sources[1 if night else 0].pick(self.rng)

    def new(self, case_no: str, hour: int) -> tuple[SimCase, dict[str, Any]]:
        """Return a new case's state and its `case.registered` data; `hour` is the Beijing hour."""
        rng = self.rng
        group = rng.random() < GROUP_P
        major = not group and rng.random() < MAJOR_P
        category = (self.group_categories if group else self.categories).pick(rng)
        scale = ("03" if rng.random() < 0.1 else "02") if group else "01"
        grade = ("02" if scale == "03" else "03") if group else "02" if major else "03" if rng.random() < 0.06 else "04"
        top = category[:2]
        town = self.towns.pick(rng)
        village = self.villages[town.code].pick(rng)
        sensitive = categories.is_sensitive(category)
        # Sensitive categories pin at the village centroid, never at a house.
        lat, lon = (village.lat, village.lon) if sensitive else random_point_in(village, rng)
        address = f"{town.name}{village.name}"
        parties = [self._person("applicant", address)]
        orgs = ORG_RESPONDENTS.get(category) or ORG_RESPONDENTS.get(top)
        if orgs and (group or rng.random() < 0.6):
            parties.append({"role": "respondent", "name": rng.choice(orgs)})
        elif not group:
            parties.append(self._person("respondent", address))
        if scale == "01":
            people = max(len(parties), rng.choices((1, 2, 3, 5), cum_weights=(15, 70, 85, 100))[0])
        else:
            people = rng.randint(30, 99) if scale == "02" else rng.randint(100, 300)
        a = str(parties[0]["name"])[0]
        b = str(parties[-1]["name"])[0]
        topic = rng.choice(TOPICS.get(category) or TOPICS.get(top) or TOPICS["99"]).format(a=a, b=b)
        title = f"{village.name}{topic}" + (f"（{people}人）" if group else "")
        amounts = AMOUNTS.get(category) or AMOUNTS.get(top)
        amount = None
        if amounts is not None:
            amount = _amount(rng, *(amounts[2:] if group else amounts[:2]))
        urgent = group or major or rng.random() < 0.03
        long_standing = rng.random() < (0.1 if top in ("09", "11") else 0.03)
        data: dict[str, Any] = {
            "case_no": case_no,
            "title": title,
            "description": rng.choice(DESCRIPTIONS).format(t=topic, n=people),
            "category": category,
            "scale": scale,
            "grade": grade,
            "urgent": urgent,
            "group": group,
            "long_standing": long_standing,
            "people_involved": people,
            "source_channel": self._source(hour).value,
            "township": town.code,
            "village": village.code,
            "grid": f"{village.code}-{rng.randint(1, 6):02d}",
            "address": address,
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "parties": parties,
        }
        if amount is not None:
            data["amount_involved"] = amount
        state = SimCase(
            no=case_no, category=category, grade=grade, township=town.code, urgent=urgent, group=group,
            long_standing=long_standing, title=title,
        )
        if group or major:
            state.alert_id = f"AL-{case_no}"
        return state, data
