"""Keep 在办 and 超期在办 incrementally: a count of open cases and a heap of resolve deadlines."""

from __future__ import annotations

import heapq
from datetime import datetime

from datafeeds.wallstate import LiveCase, OpenFigures


class LiveCounts:
    """Count open and overdue cases without scanning them; the clock alone can make a case overdue."""

    def __init__(self) -> None:
        self.open: set[str] = set()
        self.overdue: set[str] = set()
        self.yellow: set[str] = set()
        self.red: set[str] = set()
        self.major: set[str] = set()
        self._heap: list[tuple[datetime, str]] = []
        self.newly_overdue: set[str] = set()

    def reset(self, cases: list[LiveCase], now: datetime) -> None:
        """Start over from a set of live cases."""
        for group in (self.open, self.overdue, self.yellow, self.red, self.major):
            group.clear()
        self._heap.clear()
        for case in cases:
            self.touch(case, now)

    def touch(self, case: LiveCase, now: datetime) -> None:
        """Take note of a case after it changed."""
        no = case.case_no
        if not case.is_open:
            for group in (self.open, self.overdue, self.yellow, self.red, self.major):
                group.discard(no)
            return
        self.open.add(no)
        for group, member in ((self.yellow, case.supervision == "yellow"), (self.red, case.supervision == "red"),
                              (self.major, case.is_major)):
            if member:
                group.add(no)
            else:
                group.discard(no)
        due = case.resolve_due
        if due is not None and due <= now:
            self.overdue.add(case.case_no)
            return
        self.overdue.discard(case.case_no)
        if due is not None:
            heapq.heappush(self._heap, (due, case.case_no))

    def overdue_count(self, now: datetime, live: dict[str, LiveCase]) -> int:
        """Return how many open cases are past their resolve deadline at `now`."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, case_no = heapq.heappop(heap)
            case = live.get(case_no)
            # Stale entries (closed, or the deadline moved) are dropped here.
            if case is not None and case.is_open and case.resolve_due == due:
                self.overdue.add(case_no)
                self.newly_overdue.add(case_no)
        return len(self.overdue)

    def figures(self, now: datetime, live: dict[str, LiveCase]) -> OpenFigures:
        """Return the open-case figures at `now`."""
        return OpenFigures(open=len(self.open), overdue=self.overdue_count(now, live), yellow=len(self.yellow),
                           red=len(self.red), major=len(self.major))

    def take_newly_overdue(self) -> set[str]:
        """Return the cases the clock (not an event) made overdue since the last call, and forget them."""
        taken, self.newly_overdue = self.newly_overdue, set()
        return taken
