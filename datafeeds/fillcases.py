"""Fill a store with many synthetic cases at once, for the desk's scale benchmark and load tests.

The cases are drawn by the simulator's own CaseFactory (the county's places, category mix, sources, titles,
masked parties), spread over the past `days`, and given the life a county's caseload has: most of them
closed, the recent ones still open with their departments, deadlines, some overdue and some under 督办.
They are written in batches straight into `cases` (no feed, no history): a million take well under a minute
on SQLite, where replaying them through the ingest would take an hour. Not for a production store: the
command refuses a store that already holds cases from the feed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from datafeeds.county import County
from datafeeds.models import Case, CasePartyKey
from datafeeds.partykeys import party_keys
from datafeeds.simcases import CaseFactory
from datafeeds.simprofiles import routes_for

BATCH = 10_000
OPEN_STATES_MIX = (("registered", 0.08), ("assigned", 0.17), ("signed", 0.25), ("in_progress", 0.45),
                   ("returned", 0.05))
CLOSED_STATES_MIX = (("closed", 0.86), ("visited", 0.06), ("resolved", 0.05), ("terminated", 0.02),
                     ("referred", 0.01))


class StoreNotEmpty(RuntimeError):
    """The store already holds cases from the feed; filling it with synthetic ones would mix the two."""


def _pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([s for s, _ in mix], weights=[w for _, w in mix])[0]


def fill_cases(engine: Engine, county: County, count: int, *, now: datetime, seed: int = 1, days: int = 730,
               force: bool = False, progress: Callable[[int], None] | None = None) -> int:
    """Insert `count` synthetic cases registered over the past `days`; return how many were written."""
    with engine.connect() as conn:
        fed = conn.execute(select(Case.id).where(Case.last_seq > 0).limit(1)).first()
    if fed is not None and not force:
        raise StoreNotEmpty("the store holds cases from the feed; fill an empty store (or pass force)")
    rng = random.Random(seed)
    factory = CaseFactory(county, rng)
    township_office = {d.place_code: d.code for d in county.departments if d.kind == "township" and d.place_code}
    span = days * 86400.0
    written = 0
    while written < count:
        rows = [_row(factory, rng, f"SYN-{seed}-{written + i:07d}", now, span, township_office)
                for i in range(min(BATCH, count - written))]
        with engine.begin() as conn:
            conn.execute(insert(Case), rows)
            _key_parties(conn, rows)
        written += len(rows)
        if progress is not None:
            progress(written)
    return written


def _key_parties(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write the party keys of the rows just inserted (the simulator masks every number: usually none)."""
    keyed = {r["case_no"]: keys for r in rows if (keys := party_keys(r["parties"]))}
    if not keyed:
        return
    ids = conn.execute(select(Case.case_no, Case.id).where(Case.case_no.in_(keyed))).all()
    conn.execute(insert(CasePartyKey), [{"case_id": case_id, "kind": kind, "key": k}
                                        for case_no, case_id in ids for kind, k in sorted(keyed[case_no])])


def _row(factory: CaseFactory, rng: random.Random, case_no: str, now: datetime, span: float,
         township_office: dict[str, str]) -> dict[str, Any]:
    # Recent days hold more cases than old ones only through what is still open; arrivals are uniform.
    age = rng.random() * span
    registered = now - timedelta(seconds=age)
    _, data = factory.new(case_no, registered.hour)
    open_p = 0.6 if age < 15 * 86400 else 0.15 if age < 60 * 86400 else 0.01
    is_open = rng.random() < open_p
    state = _pick(rng, OPEN_STATES_MIX if is_open else CLOSED_STATES_MIX)
    routed = rng.choices([d for d, _ in routes_for(data["category"])],
                         weights=[w for _, w in routes_for(data["category"])])[0]
    department = township_office.get(data["township"]) if routed == "township" else routed
    assigned = registered + timedelta(hours=rng.uniform(0.5, 30)) if state != "registered" else None
    resolve_due = assigned + timedelta(days=rng.choice((7, 15, 30))) if assigned is not None else None
    resolved = None
    if not is_open and assigned is not None:
        resolved = min(now, assigned + timedelta(days=rng.uniform(0.5, 35)))
    supervision = "none"
    if is_open and resolve_due is not None and resolve_due < now:
        supervision = rng.choices(("none", "normal", "yellow", "red"), weights=(40, 20, 25, 15))[0]
    elif is_open and rng.random() < 0.03:
        supervision = "normal"
    return {
        "case_no": case_no, "title": data["title"], "description": data["description"],
        "category": data["category"], "scale": data["scale"], "grade": data["grade"], "urgent": data["urgent"],
        "is_group": data["group"], "long_standing": data["long_standing"],
        "people_involved": data["people_involved"], "amount_involved": data.get("amount_involved"),
        "source_channel": data["source_channel"], "township_code": data["township"],
        "village_code": data["village"], "grid": data["grid"], "address": data["address"], "lat": data["lat"],
        "lon": data["lon"], "outside_county": False, "parties": data["parties"], "state": state,
        "is_open": is_open, "department_code": department if state != "registered" else None,
        "supervision": supervision, "escalated": False, "returns": 1 if state == "returned" else 0,
        "sign_due": assigned + timedelta(days=1) if assigned is not None else None, "resolve_due": resolve_due,
        "registered_at": registered, "assigned_at": assigned,
        "signed_at": assigned + timedelta(hours=rng.uniform(1, 20)) if assigned is not None and state not in (
            "assigned",) else None,
        "resolved_at": resolved, "closed_at": resolved if state == "closed" else None,
        "outcome": ("success" if rng.random() < 0.92 else "failure") if resolved is not None else None,
        "resolution_method": None, "satisfaction": None, "updated_at": resolved or assigned or registered,
        "last_seq": 0,
    }
