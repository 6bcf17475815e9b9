"""How long a leader waits for a briefing's figures with a million cases in the store, per kind of period.

Uses the store bench/desk_queries.py fills (`zhongshu fill-cases`' generator; kept and reused). That generator
writes cases only; the briefing's league and 超期 read the assignments, so when the store has none this gives
each assigned case one assignment from its own times and deadline (one INSERT … SELECT). Then for each period
kind it times `datafeeds.briefing.build` R times and prints p50/p95 and the ratio of p95 to the 2 s target (a
leader picking a period waits for the page; below 1.0 meets it), and once per kind the time of each part.

    python bench/briefing.py                                       # SQLite file bench-desk.db
    python bench/briefing.py --db-url postgresql://postgres@127.0.0.1:5432/zhongshu_bench --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, literal, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datafeeds import briefing
from datafeeds.db import make_engine, migrate
from datafeeds.models import Assignment, Case

TARGET_MS = 2000.0
KINDS = ("today", "week", "month", "last_month", "custom")


def give_assignments(engine: Any) -> None:
    """Give every assigned case one assignment made from its own times, when the store has none."""
    with Session(engine) as session:
        if session.scalar(select(func.count()).select_from(Assignment)):
            return
        started = time.perf_counter()
        session.execute(insert(Assignment).from_select(
            ["case_id", "department_code", "assigned_at", "sign_due", "resolve_due", "signed_at", "resolved_at",
             "status", "assigned_seq"],
            select(Case.id, Case.department_code, Case.assigned_at, Case.sign_due, Case.resolve_due,
                   Case.signed_at, Case.resolved_at, literal("assigned"), Case.last_seq)
            .where(Case.department_code.is_not(None), Case.assigned_at.is_not(None))))
        session.execute(text("UPDATE assignments SET status = CASE WHEN resolved_at IS NOT NULL THEN 'resolved' "
                             "WHEN signed_at IS NOT NULL THEN 'signed' ELSE 'assigned' END"))
        session.commit()
        n = session.scalar(select(func.count()).select_from(Assignment))
        print(f"gave {n:,} assignments in {time.perf_counter() - started:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-url", default=f"sqlite:///{Path('bench-desk.db').resolve()}")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(args.db_url)
    migrate(engine)
    give_assignments(engine)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE cases"))
            conn.execute(text("VACUUM ANALYZE assignments"))
    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(Case)) or 0
        newest = session.scalar(select(func.max(Case.registered_at)))
    now = (newest or datetime.now(UTC)) + timedelta(minutes=1)
    print(f"{engine.dialect.name}, {total:,} cases; {args.runs} runs per period; briefing.build, all figures")
    print(f"{'period':<12} {'cases':>8} {'p50 ms':>8} {'p95 ms':>8} {'×target':>8}")
    worst = 0.0
    for kind in KINDS:
        first = last = None
        if kind == "custom":  # the longest a leader may ask for: a year
            last = now.astimezone(briefing.SHANGHAI).date()
            first = last - timedelta(days=briefing.CUSTOM_MAX_DAYS - 1)
        p = briefing.period(kind, now, first=first, last=last)
        times = []
        b = None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            b = briefing.build(engine, p)
            times.append((time.perf_counter() - t0) * 1000)
        assert b is not None
        p95 = sorted(times)[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        worst = max(worst, p95)
        print(f"{kind:<12} {int(b.headline['registered'].value or 0):>8,} {statistics.median(times):>8.0f} "
              f"{p95:>8.0f} {p95 / TARGET_MS:>8.2f}")
    print(f"worst p95 {worst:.0f} ms = {worst / TARGET_MS:.2f} × the {TARGET_MS:.0f} ms target")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
