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
        self.warning: set[str] = set()
        self.yellow: set[str] = set()
        self.red: set[str] = set()
        self.major: set[str] = set()
        self._heap: list[tuple[datetime, str]] = []
        self._prewarn_heap: list[tuple[datetime, str]] = []
        self.turned: set[str] = set()

    def reset(self, cases: list[LiveCase], now: datetime) -> None:
        """Start over from a set of live cases."""
        for group in (self.open, self.overdue, self.warning, self.yellow, self.red, self.major):
            group.clear()
        self._heap.clear()
        self._prewarn_heap.clear()
        for case in cases:
            self.touch(case, now)

    def touch(self, case: LiveCase, now: datetime) -> None:
        """Take note of a case after it changed."""
        no = case.case_no
        if not case.is_open:
            for group in (self.open, self.overdue, self.warning, self.yellow, self.red, self.major):
                group.discard(no)
            return
        self.open.add(no)
        for group, member in ((self.yellow, case.supervision == "yellow"), (self.red, case.supervision == "red"),
                              (self.major, case.is_major)):
            if member:
                group.add(no)
            else:
                group.discard(no)
        due, warn = case.resolve_due, case.prewarn_at
        if due is not None and due <= now:
            self.overdue.add(no)
            self.warning.discard(no)
            return
        self.overdue.discard(no)
        if due is not None:
            heapq.heappush(self._heap, (due, no))
        if warn is not None and warn <= now:
            self.warning.add(no)
        else:
            self.warning.discard(no)
            if warn is not None:
                heapq.heappush(self._prewarn_heap, (warn, no))

    def advance(self, now: datetime, live: dict[str, LiveCase]) -> None:
        """Move cases whose pre-warning or deadline has come by `now` into 临期 or 超期."""
        warn_heap = self._prewarn_heap
        while warn_heap and warn_heap[0][0] <= now:
            warn, case_no = heapq.heappop(warn_heap)
            case = live.get(case_no)
            # Stale entries (closed, or the deadline moved) are dropped here.
            if case is not None and case.is_open and case.prewarn_at == warn and case_no not in self.overdue:
                self.warning.add(case_no)
                self.turned.add(case_no)
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, case_no = heapq.heappop(heap)
            case = live.get(case_no)
            if case is not None and case.is_open and case.resolve_due == due:
                self.overdue.add(case_no)
                self.warning.discard(case_no)
                self.turned.add(case_no)

    def overdue_count(self, now: datetime, live: dict[str, LiveCase]) -> int:
        """Return how many open cases are past their resolve deadline at `now`."""
        self.advance(now, live)
        return len(self.overdue)

    def figures(self, now: datetime, live: dict[str, LiveCase]) -> OpenFigures:
        """Return the open-case figures at `now`."""
        overdue = self.overdue_count(now, live)
        return OpenFigures(open=len(self.open), overdue=overdue, warning=len(self.warning),
                           yellow=len(self.yellow), red=len(self.red), major=len(self.major))

    def warned(self) -> set[str]:
        """Return the cases that may be on the warning list (red cards, majors, 超期 and 临期)."""
        return self.red | self.major | self.overdue | self.warning

    def take_turned(self) -> set[str]:
        """Return the cases the clock (not an event) made 临期 or 超期 since the last call, and forget them."""
        taken, self.turned = self.turned, set()
        return taken
