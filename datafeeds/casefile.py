"""Read one case as the desk's case page shows it: its risk and deadline, its history with the time each step
took, its assignments with their sign-for and resolve clocks, where it is pinned, and its related cases.

Every time is worked out against a `now` the caller gives, in calendar time (not working time): the page says
so. Clocks are dicts `{"kind", "due", "at", "seconds"}` where kind is one of
`left` (running, `seconds` until due), `overdue` (running, `seconds` past due), `on_time` / `late` (stopped by
the step it measures, `seconds` before / after due), `stopped` (ended without that step: returned, closed)
and `none` (no deadline).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from datafeeds import categories
from datafeeds.lifecycle import FINAL_STATES
from datafeeds.masking import mask_text
from datafeeds.models import Assignment, Case, CasePartyKey, Place
from datafeeds.queries import case_dict
from datafeeds.rows import live_from_row
from datafeeds.wallstate import pin, risk

RELATED_WINDOW = timedelta(days=30)
RELATED_MAX = 20  # per kind of relation, newest first: enough to see a pattern, never a million rows
RUNNING_SIGN = frozenset({"pending"})
RUNNING_RESOLVE = frozenset({"pending", "signed"})


def clock(due: datetime | None, done: datetime | None, now: datetime, *, running: bool) -> dict[str, Any]:
    """Return a deadline's clock: met or missed by `done`, else counting (while `running`) or stopped."""
    out: dict[str, Any] = {"due": due, "at": done, "seconds": None}
    if due is None:
        return {**out, "kind": "none"}
    if done is not None:
        margin = (done - due).total_seconds()
        return {**out, "kind": "late" if margin > 0 else "on_time", "seconds": abs(margin)}
    if not running:
        return {**out, "kind": "stopped"}
    left = (due - now).total_seconds()
    # Overdue from the deadline itself on, as the wall counts 超期 (wallstate.is_overdue).
    return {**out, "kind": "left" if left > 0 else "overdue", "seconds": abs(left)}


def timeline(events: list[dict[str, Any]], now: datetime, *, running: bool) -> list[dict[str, Any]]:
    """Return the history with `since_prev` (seconds since the step before) on each step and, while the case
    can still move, `in_state` (seconds in its current state) on the last."""
    out = []
    prev: datetime | None = None
    for e in events:
        since = (e["at"] - prev).total_seconds() if prev is not None else None
        # A publisher's clock may put a step before the one applied ahead of it: no negative durations.
        out.append({**e, "since_prev": since if since is None or since >= 0 else None, "in_state": None})
        prev = e["at"]
    if out and running:
        out[-1]["in_state"] = max(0.0, (now - out[-1]["at"]).total_seconds())
    return out


def assignment_row(a: Assignment, now: datetime) -> dict[str, Any]:
    """Return one assignment with its two clocks."""
    return {
        "department": a.department_code, "assigned_at": a.assigned_at, "status": a.status,
        "extension": a.extension, "returned_at": a.returned_at,
        "sign": clock(a.sign_due, a.signed_at, now, running=a.status in RUNNING_SIGN),
        "resolve": clock(a.resolve_due, a.resolved_at, now, running=a.status in RUNNING_RESOLVE),
    }


def case_file(engine: Engine, case_no: str, now: datetime) -> dict[str, Any] | None:
    """Return a case as `queries.case_dict` does (personal data unmasked: callers mask it), with its `risk`
    (None once closed), `deadline` clock, timed `events`, `assignments` and `pin` (where the wall pins it), or
    None for an unknown case number."""
    with Session(engine) as conn:
        case = conn.scalar(select(Case).where(Case.case_no == case_no))
        if case is None:
            return None
        detail = case_dict(conn, case)
        live = live_from_row(case)
        rows = conn.scalars(select(Assignment).where(Assignment.case_id == case.id)
                            .order_by(Assignment.assigned_at, Assignment.id)).all()
        assignments = [assignment_row(a, now) for a in rows]
        centroid = conn.execute(select(Place.lat, Place.lon).where(Place.code == case.village_code)).first() \
            if case.village_code else None
    sensitive = frozenset({case.category} if categories.is_sensitive(case.category) else ())
    centroids = {case.village_code: (centroid.lat, centroid.lon)} if centroid and case.village_code else {}
    return {
        **detail,
        "risk": risk(live, now) if live.is_open else None,
        "deadline": clock(case.resolve_due, case.resolved_at, now, running=live.is_open),
        "events": timeline(detail["events"], now, running=case.state not in FINAL_STATES),
        "assignments": assignments,
        "pin": pin(live, now, centroids, sensitive),
    }


def _names(parties: Iterable[Any] | None) -> list[str]:
    return [str(p.get("name") or "") for p in parties or () if isinstance(p, dict)]


def related_cases(engine: Engine, case_no: str, *, window: timedelta = RELATED_WINDOW,
                  limit: int = RELATED_MAX) -> list[dict[str, Any]]:
    """Return the cases related to one, newest first, each with why (`reasons`: `address`, the same stored
    address; `village`, the same village and category registered within `window` either side; `party`, a party
    with the same ID number or phone) and its title masked (by the names of the parties of all these cases).

    Each relation is an indexed lookup capped at `limit` rows, so a busy address or a frequent petitioner
    costs the same as a quiet one.
    """
    with Session(engine) as conn:
        me = conn.execute(select(Case.id, Case.address, Case.village_code, Case.category, Case.registered_at,
                                 Case.parties).where(Case.case_no == case_no)).first()
        if me is None:
            return []
        keys = list(conn.scalars(select(CasePartyKey.key).where(CasePartyKey.case_id == me.id)))
        newest = (Case.registered_at.desc(), Case.id.desc())
        picks = []
        if me.address:
            picks.append(select(Case.id).where(Case.address == me.address, Case.id != me.id))
        if me.village_code:
            picks.append(select(Case.id).where(
                Case.village_code == me.village_code, Case.category == me.category, Case.id != me.id,
                Case.registered_at.between(me.registered_at - window, me.registered_at + window)))
        if keys:
            picks.append(select(Case.id).where(
                Case.id.in_(select(CasePartyKey.case_id).where(CasePartyKey.key.in_(keys))), Case.id != me.id))
        ids: set[int] = set()
        for pick in picks:
            ids.update(conn.scalars(pick.order_by(*newest).limit(limit)))
        if not ids:
            return []
        rows = conn.execute(select(Case.id, Case.case_no, Case.title, Case.category, Case.state, Case.registered_at,
                                   Case.village_code, Case.address, Case.parties)
                            .where(Case.id.in_(ids)).order_by(*newest)).all()
        same_party = set(conn.scalars(select(CasePartyKey.case_id).where(
            CasePartyKey.case_id.in_(ids), CasePartyKey.key.in_(keys)))) if keys else set()
    # One set of names masks every title: it may name the parties of any of these cases, and masking with one
    # pattern costs one regex compilation instead of one per case.
    names = [*_names(me.parties), *(n for r in rows for n in _names(r.parties))]
    out = []
    for r in rows:
        reasons = []
        if me.address and r.address == me.address:
            reasons.append("address")
        if (me.village_code and r.village_code == me.village_code and r.category == me.category
                and abs(r.registered_at - me.registered_at) <= window):
            reasons.append("village")
        if r.id in same_party:
            reasons.append("party")
        out.append({"case_no": r.case_no, "title": mask_text(r.title, names),
                    "category": r.category, "state": r.state, "registered_at": r.registered_at,
                    "village": r.village_code, "reasons": reasons})
    return out
