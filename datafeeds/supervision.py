"""Raise 督办 cards by the clock (DOMAIN.md): yellow when a deadline passes, red past its red threshold.

Each open, assigned case has up to four thresholds: its sign-for deadline and sign red threshold (while
it is not signed for) and its resolve deadline and resolve red threshold. The red thresholds follow the
deadline policy's limits for the case (department kind, tier, category, grade); when a feed set the
deadlines itself, the red threshold keeps the policy's ratio of red to yellow time.

The ingest raises a card by applying an ordinary `case.supervised` event from the source
`zhongshu-clock`, so the card is stored, has a seq, shows in the case's history and reaches the walls as
every other change does. Its id names the case, the assignment, the clock and the level: a restarted
ingest never raises the same card twice. A card only ever goes up; a level lowered by a person stays.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from datafeeds.deadlines import DeadlinePolicy, scaled_deadline
from datafeeds.wallstate import LiveCase

AUTO_SOURCE = "zhongshu-clock"
RANK = {"none": 0, "normal": 1, "yellow": 2, "red": 3}
NOTES = {("sign", "yellow"): "自动督办：超过签收时限", ("sign", "red"): "自动督办：超过签收红牌时限",
         ("resolve", "yellow"): "自动督办：超过办结时限", ("resolve", "red"): "自动督办：超过办结红牌时限"}


@dataclass(frozen=True, slots=True)
class Threshold:
    """One moment at which a case's 督办 level rises."""

    at: datetime
    level: str  # yellow | red
    clock: str  # sign | resolve


def tier_of(kind: str) -> str:
    """Return the administrative tier of a department kind (township bodies 05, the rest county 04)."""
    return "05" if kind == "township" else "04"


def _red(start: datetime, due: datetime, factor: float, tz: ZoneInfo) -> datetime:
    return max(due, scaled_deadline(start, due, factor, tz))  # red never comes before yellow


def thresholds(case: LiveCase, policy: DeadlinePolicy, kind: str) -> list[Threshold]:
    """Return the card thresholds of a case's current assignment (none when it is not assigned)."""
    if not case.is_open or case.assigned_at is None or case.department is None:
        return []
    lim = policy.limits(kind, case.category, case.grade, tier=tier_of(kind))
    out: list[Threshold] = []
    if case.signed_at is None and case.sign_due is not None:
        factor = lim.sign_red / lim.sign_days if lim.sign_days > 0 else lim.red_factor
        out.append(Threshold(case.sign_due, "yellow", "sign"))
        out.append(Threshold(_red(case.assigned_at, case.sign_due, factor, policy.tz), "red", "sign"))
    if case.resolve_due is not None:
        factor = lim.resolve_red / lim.resolve_days if lim.resolve_days > 0 else lim.red_factor
        out.append(Threshold(case.resolve_due, "yellow", "resolve"))
        out.append(Threshold(_red(case.assigned_at, case.resolve_due, factor, policy.tz), "red", "resolve"))
    return out


class CardClock:
    """Know when the next card falls due, without scanning every case: a heap of thresholds."""

    def __init__(self, policy: DeadlinePolicy, kinds: Mapping[str, str]) -> None:
        self.policy = policy
        self.kinds = kinds
        self._heap: list[tuple[datetime, str, str, str, int]] = []

    def _kind(self, case: LiveCase) -> str:
        return self.kinds.get(case.department or "", self.policy.default_kind)

    def track(self, case: LiveCase) -> None:
        """Take note of a case's thresholds after its assignment or deadlines changed."""
        if case.assignment_id is None:
            return
        for th in thresholds(case, self.policy, self._kind(case)):
            if RANK[th.level] > RANK.get(case.supervision, 0):
                heapq.heappush(self._heap, (th.at, case.case_no, th.level, th.clock, case.assignment_id))

    def due(self, now: datetime, live: Mapping[str, LiveCase]) -> list[tuple[LiveCase, Threshold]]:
        """Return the cards that fall due by `now`, the highest per case; stale thresholds are dropped."""
        found: dict[str, tuple[LiveCase, Threshold]] = {}
        heap = self._heap
        while heap and heap[0][0] <= now:
            at, case_no, level, clock, assignment = heapq.heappop(heap)
            case = live.get(case_no)
            if case is None or case.assignment_id != assignment or RANK[level] <= RANK.get(case.supervision, 0):
                continue
            th = Threshold(at, level, clock)
            if th not in thresholds(case, self.policy, self._kind(case)):
                continue  # the deadline moved, or the case was signed for meanwhile
            best = found.get(case_no)
            if best is None or RANK[level] > RANK[best[1].level]:
                found[case_no] = (case, th)
        return sorted(found.values(), key=lambda pair: (pair[1].at, pair[0].case_no))

    def __len__(self) -> int:
        return len(self._heap)


def card_message(case: LiveCase, th: Threshold, seq: int) -> dict[str, object]:
    """Return the feed message that raises one card (an ordinary envelope, validated like any other)."""
    return {"v": 1, "id": f"auto-{case.case_no}-{case.assignment_id}-{th.clock}-{th.level}", "source": AUTO_SOURCE,
            "seq": seq, "type": "case.supervised", "at": th.at.isoformat(),
            "data": {"case_no": case.case_no, "level": th.level, "note": NOTES[(th.clock, th.level)]}}
