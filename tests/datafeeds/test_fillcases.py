"""The scale generator: many plausible cases in one go, never mixed into a store the feed fills."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from datafeeds.apply import Applier, RawMessage
from datafeeds.contractdocs import example_events
from datafeeds.deskqueries import CaseFilter, count
from datafeeds.fillcases import StoreNotEmpty, fill_cases
from datafeeds.lifecycle import OPEN_STATES
from datafeeds.models import Case, Place

NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")


def test_fills_plausible_cases(engine: Engine, county) -> None:
    assert fill_cases(engine, county, 3000, now=NOW, days=365) == 3000
    with engine.connect() as conn:
        rows = conn.execute(select(Case.state, Case.is_open, Case.registered_at, Case.resolve_due,
                                   Case.department_code, Case.township_code, Case.supervision)).all()
        places = set(conn.scalars(select(Place.code)))
        distinct = conn.execute(select(func.count(func.distinct(Case.case_no)))).scalar()
    assert distinct == 3000
    assert all((state in OPEN_STATES) == is_open for state, is_open, *_ in rows)
    assert all(NOW - timedelta(days=365) <= at <= NOW for _, _, at, *_ in rows)
    assert all(t in places for *_, t, _ in rows)
    opened = [r for r in rows if r.is_open]
    assert 0.02 < len(opened) / len(rows) < 0.2  # most of a county's caseload is closed
    assert any(r.supervision != "none" for r in opened) and any(r.resolve_due and r.resolve_due < NOW for r in opened)
    assert all(r.department_code is None for r in rows if r.state == "registered")
    assert count(engine, CaseFilter(state="open"), now=NOW) == len(opened)


def test_refuses_a_store_the_feed_fills(engine: Engine, county) -> None:
    Applier(engine, clock=lambda: NOW).apply(
        [RawMessage("t:feed:cases", json.dumps(example_events(source="t")[0], ensure_ascii=False).encode())])
    with pytest.raises(StoreNotEmpty):
        fill_cases(engine, county, 10, now=NOW)
