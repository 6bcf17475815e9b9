"""Simulate a county's live case stream on feed contract v1, deterministically for a seed.

Time: the simulator runs in *simulated* time (epoch seconds) and keeps a priority queue of future
actions. `start` is the moment the live phase begins. Stamps map simulated time to wall time:
history before `start` keeps its own time (backfill), after it `stamp = start + (sim − start) / speedup`,
so a live run at speedup S shows S simulated seconds per real second and never stamps the future.
Deadlines inside event data get the same mapping, so overdue behaviour survives compression.

The wall does not take 临期 from the simulator: it works it out itself, at 70 % of the working time
between an assignment's stamp and the deadline it was sent, on the wall's own (real) calendar. So the
simulator lays deadlines out the way the wall will read them:

- A case still open at `start` lives in the time-lapse from its current assignment on: that assignment
  and everything after it is stamped `start + (sim − start) / speedup` even before `start`, so the wall
  sees the share of its allowed time used up that the simulation sees. (Compressing only what comes
  after `start` squeezed such a case's deadline towards `start` while its assignment stayed days back,
  which put nearly every open case past 70 % at once.) Where that window would cross a real day off,
  whose working time the wall does not count, the case keeps its real stamps and real deadlines.
- A live deadline counts simulated working time only while the wall's calendar is at work as well: on
  a real working day it is the simulated deadline's stamp; across a real weekend or holiday the clock
  stops, as it does on the wall (a compressed deadline lying wholly in a day off leaves the wall no
  working time to take 70 % of, and every case would be 临期 as soon as it is assigned).

The simulator's own timers (督办 cards, lateness) run on the deadlines it sends, so cards, 超期 and 临期
agree on the wall.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any, NamedTuple

from datafeeds.clock import SHANGHAI, utcnow
from datafeeds.county import County
from datafeeds.deadlines import DeadlinePolicy, add_working_days, is_working_day, working_time_between
from datafeeds.simcases import CaseFactory, SimCase
from datafeeds.simnames import METHODS, PROGRESS_NOTES, RETURN_REASONS, TERMINATE_REASONS
from datafeeds.simprofiles import (
    CENTER_HOURS,
    COUNTY_PROFILES,
    DEFAULT_SUCCESS,
    OFFICE_HOURS,
    REFER_CHANNEL,
    SUCCESS_RATE,
    DeptProfile,
    after_hours,
    day_date,
    day_of,
    hour_of,
    next_arrival,
    routes_for,
    township_profile,
)

_DAY = 86400.0
WARMUP_DAYS = 30.0  # simulated days before the backfill, so the history opens on a lived-in caseload
_LEVELS = ("none", "normal", "yellow", "red")
_METHODS = [m for m, _ in METHODS]
_METHOD_CUM = list(itertools.accumulate(w for _, w in METHODS))


class SimEvent(NamedTuple):
    """One generated event: its type, contract data and stamp."""

    type: str
    data: dict[str, Any]
    at: datetime


_Raw = tuple[float, str, dict[str, Any], dict[str, float], str]  # sim time, type, data, deadlines to map, case
_Handler = Callable[[float, Any, Any], None]


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _same(t: float) -> float:
    return t


class Simulator:
    """Generate a realistic, seed-deterministic event stream for one county."""

    def __init__(
        self,
        county: County,
        *,
        seed: int = 1,
        cases_per_day: float = 400.0,
        speedup: float = 1.0,
        start: datetime | None = None,
        source: str = "simulator",
        policy: DeadlinePolicy | None = None,
        threshold_cards: bool = False,
    ) -> None:
        if speedup <= 0 or cases_per_day <= 0:
            raise ValueError("speedup and cases_per_day must be positive")
        self.county = county
        # Yellow and red cards for passed deadlines are the ingest's job (datafeeds/supervision.py); the
        # simulator sends them itself only for an ingest that does not (ZHONGSHU_AUTO_SUPERVISION=false).
        self.threshold_cards = threshold_cards
        self.seed = seed
        self.cases_per_day = cases_per_day
        self.speedup = speedup
        self.start = start or utcnow()
        self.source = source
        self.policy = policy or DeadlinePolicy()
        self.rng = random.Random(seed)
        self._s0 = self.start.timestamp()
        self._q: list[tuple[float, int, _Handler, Any, Any]] = []
        self._n = itertools.count()
        self._out: list[_Raw] = []
        self._pending: list[_Raw] = []
        self._started = False
        self._day_counts: dict[int, int] = {}
        self._cases: dict[str, SimCase] = {}  # cases that may still get events, by number
        # A run tag keeps case numbers of two runs (other seed or start) apart in one database.
        tag = zlib.crc32(f"{seed}|{self._s0}".encode())
        self._tag = chr(65 + tag % 26) + chr(65 + (tag // 26) % 26)
        self.factory = CaseFactory(county, self.rng)
        self._kinds = {d.code: d.kind for d in county.departments}
        towns = county.townships()
        slow = self.rng.choice(towns[1:]).code if len(towns) > 1 else None
        self.profiles: dict[str, DeptProfile] = dict(COUNTY_PROFILES)
        for t in towns:
            self.profiles[f"zz-{t.code}"] = township_profile(self.rng, slow=t.code == slow)

    # --- time mapping -------------------------------------------------------------------------
    def stamp(self, sim: datetime) -> datetime:
        """Return the wall-clock stamp of a simulated moment."""
        return _dt(self._stamp(sim.timestamp()))

    def sim_time_at(self, real: datetime) -> datetime:
        """Return the simulated moment shown at a wall-clock moment."""
        r = real.timestamp()
        return _dt(r if r <= self._s0 else self._s0 + (r - self._s0) * self.speedup)

    def _relative(self, now: float, t0: float, t: float) -> float:
        # Rate mode stamps every event `now` and keeps deadlines at their (compressed) distance.
        return now + (t - t0) / self.speedup

    def _stamp(self, t: float) -> float:
        return t if t <= self._s0 else self._lapsed(t)

    def _lapsed(self, t: float) -> float:
        # The time-lapse, extended back before `start` for cases that live in it from an earlier assignment.
        return self._s0 + (t - self._s0) / self.speedup

    def _unlapsed(self, w: float) -> float:
        return self._s0 + (w - self._s0) * self.speedup

    def _unstamp(self, w: float) -> float:
        # The simulated moment whose stamp is wall moment w (the inverse of `_stamp`).
        return w if w <= self._s0 else self._unlapsed(w)

    def _local_day(self, t: float) -> tuple[bool, float]:
        """Return whether epoch seconds t fall on a working day (policy time zone) and when that day ends."""
        tz = self.policy.tz
        day = datetime.fromtimestamp(t, tz).date()
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).timestamp()
        return is_working_day(day), end

    def _deadline(self, t: float, days: float) -> float:
        """Return the simulated moment `days` working days after simulated moment t, as the wall will count it.

        In the history (and without a time-lapse) the two calendars are one. After `start` a second counts only
        when it falls in a working day both of the simulation and of the wall (see the module's docstring).
        """
        if t <= self._s0 or self.speedup == 1:
            return add_working_days(_dt(t), days, self.policy.tz).timestamp()
        remaining = days * _DAY
        while True:
            wall_working, wall_end = self._local_day(self._stamp(t))
            end = self._unlapsed(wall_end)
            if wall_working:  # a real day off passes in one step, however many simulated days it holds
                sim_working, sim_end = self._local_day(t)
                end = min(end, sim_end)
                if sim_working:
                    if remaining <= end - t:
                        return t + remaining
                    remaining -= end - t
            t = end

    # --- public generation --------------------------------------------------------------------
    def backfill(self, days: float, warmup_days: float = WARMUP_DAYS) -> list[SimEvent]:
        """Return the history of the `days` before `start`, stamped in the past; call before anything else.

        The county is simulated from `warmup_days` earlier still, so the history opens on a lived-in caseload:
        cases still going when the `days` begin come with their earlier events too, stamped when they
        happened, and long cases can be 临期 or 超期 from the first minute, as on a real county's wall.
        Cases still open at `start` go on in the time-lapse from their current assignment (module docstring).
        The events come in order of their stamps.
        """
        if self._started:
            raise RuntimeError("backfill must come before any other generated event")
        if days < 0 or warmup_days < 0:
            raise ValueError("days and warmup_days must not be negative")
        window = self._s0 - days * _DAY
        self._begin(window - warmup_days * _DAY)
        self._run_until(self._s0)
        raws, self._out = self._out, []
        going = {r[4] for r in raws if r[0] >= window} | set(self._cases)
        lapse = self._enter_live()
        events = [self._finish(r, self._lapsed if r[1].startswith("case.") and r[0] >= lapse.get(r[4], math.inf)
                               else _same)
                  for r in raws if r[0] >= window or r[4] in going]
        events.sort(key=lambda e: e.at)
        return events

    def _enter_live(self) -> dict[str, float]:
        """Settle the cases open at `start`; return those that live in the time-lapse and since when (sim time).

        A case whose current assignment the wall can read in the time-lapse (working time all through its
        window) is stamped in it from that assignment on. Any other keeps its real stamps and real deadlines,
        and its timers move to the simulated moments those deadlines stand for.
        """
        lapse: dict[str, float] = {}
        s0 = self._s0
        if self.speedup == 1:  # no time-lapse: the wall reads every deadline as it is
            return lapse
        for case in self._cases.values():
            if case.done or case.gen == 0 or not case.assigned_at:
                continue
            a, d = self._lapsed(case.assigned_at), self._lapsed(case.resolve_due)
            if working_time_between(_dt(a), _dt(d), self.policy.tz).total_seconds() >= d - a - 1.0:
                lapse[case.no] = case.assigned_at
                continue
            case.sign_due, case.sign_red = self._unstamp(case.sign_due), self._unstamp(case.sign_red)
            case.resolve_due, case.resolve_red = self._unstamp(case.resolve_due), self._unstamp(case.resolve_red)
            if case.window_gen == case.gen:
                case.due_gen += 1
                gens = (case.gen, case.due_gen)
                if not case.signed:
                    self._push(max(case.sign_due, s0), self._supervise, case, (*gens, 2, "sign"))
                self._push(max(case.resolve_due, s0), self._supervise, case, (*gens, 2, "resolve"))
        return lapse

    def events_until(self, sim_t: datetime) -> list[SimEvent]:
        """Return every event up to simulated time `sim_t` (inclusive), in order, with mapped stamps."""
        limit = sim_t.timestamp()
        self._begin(self._s0)
        raws = [r for r in self._pending if r[0] <= limit]
        self._pending = [r for r in self._pending if r[0] > limit]
        self._run_until(limit)
        raws += self._out
        self._out = []
        return [self._finish(raw, self._stamp) for raw in raws]

    def rate_events(self, n: int, at: datetime | None = None) -> list[SimEvent]:
        """Return the next `n` events regardless of simulated time, all stamped `at` (default now)."""
        self._begin(self._s0)
        while len(self._pending) + len(self._out) < n:
            self._step()
        self._pending += self._out
        self._out = []
        raws, self._pending = self._pending[:n], self._pending[n:]
        now = (at or utcnow()).timestamp()
        return [self._finish(raw, partial(self._relative, now, raw[0])) for raw in raws]

    def next_stamp(self) -> datetime | None:
        """Return the live stamp of the next queued action (which may emit nothing), or None."""
        if self._pending:
            return _dt(self._stamp(self._pending[0][0]))
        return _dt(self._stamp(self._q[0][0])) if self._q else None

    # --- engine -------------------------------------------------------------------------------
    def _begin(self, origin: float) -> None:
        if not self._started:
            self._started = True
            self._push(self._next_arrival(origin), self._arrive, None, None)

    def _push(self, t: float, handler: _Handler, case: Any, arg: Any) -> None:
        heapq.heappush(self._q, (t, next(self._n), handler, case, arg))

    def _step(self) -> None:
        t, _, handler, case, arg = heapq.heappop(self._q)
        handler(t, case, arg)

    def _run_until(self, limit: float) -> None:
        q = self._q
        while q and q[0][0] <= limit:
            self._step()

    def _emit(self, t: float, type_: str, data: dict[str, Any], dues: dict[str, float] | None = None,
              case: str | None = None) -> None:
        self._out.append((t, type_, data, dues or {}, case or data["case_no"]))

    def _finish(self, raw: _Raw, mapper: Callable[[float], float]) -> SimEvent:
        t, type_, data, dues, _case = raw
        if dues:
            data = dict(data)
            for key, due in dues.items():
                data[key] = datetime.fromtimestamp(mapper(due), SHANGHAI).isoformat()
        return SimEvent(type_, data, _dt(mapper(t)))

    def _next_arrival(self, t: float) -> float:
        return next_arrival(self.rng, t, self.cases_per_day)

    def _office(self, t: float, hours: float) -> float:
        return after_hours(t, hours, OFFICE_HOURS, working_only=True)

    def _center(self, t: float, minutes: float, anytime: bool = False) -> float:
        if anytime:  # the duty officer handles urgent cases at once, day or night
            return t + minutes * 60
        return after_hours(t, minutes / 60, CENTER_HOURS, working_only=False)

    def _lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(self.rng.gauss(0.0, sigma))

    def _case_no(self, t: float) -> str:
        day = day_of(t)
        n = self._day_counts.get(day, 0) + 1
        self._day_counts = {day: n}  # only today's counter is needed
        ymd = day_date(day).strftime("%Y%m%d")
        return f"{self.county.code}-{ymd}-{self._tag}{n:04d}"

    # --- lifecycle handlers -------------------------------------------------------------------
    def _arrive(self, t: float, _case: Any, _arg: Any) -> None:
        self._push(self._next_arrival(t), self._arrive, None, None)
        case, data = self.factory.new(self._case_no(t), hour_of(t))
        self._cases[case.no] = case
        self._emit(t, "case.registered", data)
        if case.alert_id:
            self._emit(t, "alert.raised", {
                "alert_id": case.alert_id, "level": "group" if case.group else "major", "title": case.title,
                "township": case.township, "case_no": case.no, "category": case.category,
            })
            self._push(t + self.rng.uniform(3, 12) * 3600, self._clear_alert, case, None)
        self._push(self._center(t, self.rng.uniform(10, 60), case.urgent), self._triage, case, None)

    def _clear_alert(self, t: float, case: SimCase, _arg: Any) -> None:
        self._emit(t, "alert.cleared", {"alert_id": case.alert_id}, case=case.no)

    def _triage(self, t: float, case: SimCase, _arg: Any) -> None:
        dept = self._route(case, county_only=case.alert_id is not None)
        self._emit(t, "case.triaged", {"case_no": case.no, "category": case.category, "grade": case.grade,
                                       "note": f"研判：拟交{self.county.department(dept).name}办理"})
        if case.alert_id:  # group and major incidents go up to the county at once
            case.escalated = True
            self._emit(t, "case.escalated", {"case_no": case.no, "to_tier": "county",
                                             "note": "重大/群体性事件上报"})
        self._push(self._center(t, self.rng.uniform(2, 30), case.urgent), self._assign, case, dept)

    def _route(self, case: SimCase, county_only: bool = False) -> str:
        options = [(f"zz-{case.township}" if d == "township" else d, w) for d, w in routes_for(case.category)]
        options = [(d, w) for d, w in options
                   if d not in case.tried and not (county_only and d.startswith("zz-"))]
        if not options:
            return "xfj" if case.dept != "xfj" else "sfj"
        return self.rng.choices([d for d, _ in options], [w for _, w in options])[0]

    def _assign(self, t: float, case: SimCase, dept: str) -> None:
        case.gen += 1
        case.due_gen += 1
        case.window_gen = case.gen
        case.dept, case.signed, case.assigned_at = dept, False, t
        case.tried.append(dept)
        kind = self._kinds[dept]
        lim = self.policy.limits(kind, case.category, case.grade, tier="05" if kind == "township" else "04",
                                 complex_case=case.long_standing, mediation=dept == "sfj")
        case.allowed_days, case.red_extra_days = lim.resolve_days, lim.resolve_red - lim.resolve_days
        case.sign_due = self._deadline(t, lim.sign_days)
        case.sign_red = self._deadline(t, lim.sign_red)
        case.resolve_due = self._deadline(t, lim.resolve_days)
        case.resolve_red = self._deadline(t, lim.resolve_red)
        self._emit(t, "case.assigned", {"case_no": case.no, "department": dept},
                   {"sign_due": case.sign_due, "resolve_due": case.resolve_due})
        gens = (case.gen, case.due_gen)
        if case.urgent and case.level < 1:
            self._push(t + self.rng.uniform(60, 600), self._supervise, case, (*gens, 1, "加急督办"))
        self._push(case.sign_due, self._supervise, case, (*gens, 2, "sign"))
        self._push(case.resolve_due, self._supervise, case, (*gens, 2, "resolve"))
        prof = self.profiles[dept]
        roll = self.rng.random()
        if case.returns < 2 and roll < prof.return_p:
            self._push(self._office(t, self._lognormal(2.0, 0.7)), self._return, case, case.gen)
        elif roll < prof.return_p + prof.escalate_p and not case.escalated:
            # A township passes a case up before signing for it: the ingest's lifecycle lets a case be
            # reassigned from "assigned", not from "signed".
            self._push(self._office(t, self._lognormal(3.0, 0.7)), self._escalate, case, case.gen)
        else:
            self._push(self._office(t, self._lognormal(prof.sign_hours, prof.sign_sigma)), self._sign, case,
                       case.gen)

    def _stale(self, case: SimCase, gen: int) -> bool:
        return case.done or case.gen != gen

    def _supervise(self, t: float, case: SimCase, arg: tuple[int, int, int, str]) -> None:
        gen, due_gen, level, why = arg
        if level > 1 and not self.threshold_cards:
            return
        # 加急督办 does not hang on a deadline; the others lapse when the deadline moves.
        if self._stale(case, gen) or (level > 1 and case.due_gen != due_gen) or (why == "sign" and case.signed):
            return
        if level > case.level:
            case.level = level
            note = why if level == 1 else ("超期未签收" if why == "sign" else "超期未办结")
            self._emit(t, "case.supervised", {"case_no": case.no, "department": case.dept,
                                              "level": _LEVELS[level], "note": note})
        if level == 2 and why in ("sign", "resolve"):
            red_at = case.sign_red if why == "sign" else case.resolve_red
            self._push(max(red_at, t), self._supervise, case, (gen, due_gen, 3, why))

    def _return(self, t: float, case: SimCase, gen: int) -> None:
        if self._stale(case, gen):
            return
        self._emit(t, "case.returned", {"case_no": case.no, "department": case.dept,
                                        "reason": self.rng.choice(RETURN_REASONS)})
        case.returns += 1
        case.gen += 1
        self._push(self._center(t, self.rng.uniform(15, 120)), self._assign, case, self._route(case))

    def _sign(self, t: float, case: SimCase, gen: int) -> None:
        if self._stale(case, gen):
            return
        case.signed = True
        self._emit(t, "case.signed", {"case_no": case.no, "department": case.dept})
        prof = self.profiles[str(case.dept)]
        rng = self.rng
        use = self._lognormal(prof.use, prof.use_sigma)
        target = add_working_days(_dt(case.assigned_at), case.allowed_days * use, self.policy.tz).timestamp()
        # Departments report results in office hours, and not in the same breath as signing.
        end = max(self._office(target, rng.uniform(0, 1)), self._office(t, rng.uniform(0.5, 2)))
        for k in range(rng.choices((0, 1, 2), (30, 45, 25))[0]):
            at = self._office(t + (end - t) * (k + 1) / 3, rng.uniform(0, 0.5))
            if at < end:
                self._push(at, self._progress, case, gen)
        if end > case.resolve_due and rng.random() < prof.extension_p:
            ask = self._office(case.assigned_at + (case.resolve_due - case.assigned_at) * 0.8, 0.1)
            if t < ask < end:
                self._push(ask, self._extension, case, (gen, end))
        success_p = SUCCESS_RATE.get(case.category, SUCCESS_RATE.get(case.category[:2], DEFAULT_SUCCESS))
        outcome = "success" if rng.random() < success_p + prof.success_shift else "failed"
        roll = rng.random()
        if roll < 0.005:
            self._push(end, self._terminate, case, gen)
        elif roll < 0.01 or (outcome == "failed" and roll < 0.26):
            self._push(end, self._refer, case, gen)
        else:
            self._push(end, self._resolve, case, (gen, outcome))

    def _progress(self, t: float, case: SimCase, gen: int) -> None:
        if not self._stale(case, gen):
            self._emit(t, "case.progress", {"case_no": case.no, "department": case.dept,
                                            "note": self.rng.choice(PROGRESS_NOTES)})

    def _extension(self, t: float, case: SimCase, arg: tuple[int, float]) -> None:
        gen, end = arg
        if self._stale(case, gen):
            return
        if end == 0.0:  # the decision on an earlier request
            granted = self.rng.random() < 0.75
            if not granted:
                self._emit(t, "case.extension", {"case_no": case.no, "department": case.dept,
                                                 "status": "refused"})
                return
            extra = 10.0 if case.allowed_days >= 10 else 5.0 if case.allowed_days >= 5 else 2.0
            case.resolve_due = self._deadline(case.resolve_due, extra)
            case.resolve_red = self._deadline(case.resolve_due, case.red_extra_days)
            case.due_gen += 1
            self._emit(t, "case.extension",
                       {"case_no": case.no, "department": case.dept, "status": "granted"},
                       {"resolve_due": case.resolve_due})
            self._push(case.resolve_due, self._supervise, case, (gen, case.due_gen, 2, "resolve"))
            return
        self._emit(t, "case.extension", {"case_no": case.no, "department": case.dept, "status": "requested"})
        decide = min(self._center(t, self.rng.uniform(60, 360)), t + (end - t) / 2)
        self._push(decide, self._extension, case, (gen, 0.0))

    def _escalate(self, t: float, case: SimCase, gen: int) -> None:
        if self._stale(case, gen):
            return
        self._emit(t, "case.escalated", {"case_no": case.no, "department": case.dept, "to_tier": "county",
                                         "note": "超出乡镇处置权限，上报县级"})
        case.gen += 1
        case.escalated = True
        self._push(self._center(t, self.rng.uniform(30, 120)), self._assign, case,
                   self._route(case, county_only=True))

    def _resolve(self, t: float, case: SimCase, arg: tuple[int, str]) -> None:
        gen, outcome = arg
        if self._stale(case, gen):
            return
        case.done = True
        method = self.rng.choices(_METHODS, cum_weights=_METHOD_CUM)[0]
        self._emit(t, "case.resolved", {"case_no": case.no, "department": case.dept, "outcome": outcome,
                                        "method": method})
        late = t > case.resolve_due
        self._push(self._office(t, self._lognormal(8.0, 0.5)), self._visit, case, (outcome, late))

    def _visit(self, t: float, case: SimCase, arg: tuple[str, bool]) -> None:
        outcome, late = arg
        weights = (30, 35, 35) if outcome == "failed" else (72, 18, 10) if late else (88, 9, 3)
        rating = self.rng.choices(("satisfied", "basic", "unsatisfied"), weights)[0]
        self._emit(t, "case.visited", {"case_no": case.no, "satisfaction": rating})
        self._push(self._office(t, self.rng.uniform(1, 8)), self._close, case, None)

    def _close(self, t: float, case: SimCase, _arg: Any) -> None:
        self._cases.pop(case.no, None)
        self._emit(t, "case.closed", {"case_no": case.no})

    def _refer(self, t: float, case: SimCase, gen: int) -> None:
        if self._stale(case, gen):
            return
        case.done = True
        self._cases.pop(case.no, None)
        channel = REFER_CHANNEL.get(case.category[:2], "litigation")
        self._emit(t, "case.referred", {"case_no": case.no, "department": case.dept, "channel": channel,
                                        "note": "调解不成，引导当事人依法维权"})

    def _terminate(self, t: float, case: SimCase, gen: int) -> None:
        if self._stale(case, gen):
            return
        case.done = True
        self._cases.pop(case.no, None)
        self._emit(t, "case.terminated", {"case_no": case.no, "department": case.dept,
                                          "reason": self.rng.choice(TERMINATE_REASONS)})
