"""The ingest's core against a real database: every event type, dead letters, duplicates, snapshot."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from datafeeds.apply import Applier, RawMessage
from datafeeds.contractdocs import CASE, example_events
from datafeeds.models import Alert, Assignment, Case, CaseEvent, DailyStat, DeadLetter, IngestState
from datafeeds.queries import snapshot

NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")


def raw(message: dict, channel: str = "t:feed:cases") -> RawMessage:
    return RawMessage(channel, json.dumps(message, ensure_ascii=False).encode())


@pytest.fixture
def applier(engine: Engine) -> Applier:
    return Applier(engine, clock=lambda: NOW)


def registered(case_no: str, **data: object) -> dict:
    message = example_events(source="t")[0]
    message["id"] = f"reg-{case_no}"
    message["data"].update(case_no=case_no, **data)
    return message


def event(type_: str, case_no: str, n: int, **data: object) -> dict:
    return {"v": 1, "id": f"{type_}-{case_no}-{n}", "source": "t", "seq": n, "type": type_,
            "at": (NOW - timedelta(minutes=60 - n)).isoformat(), "data": {"case_no": case_no, **data}}


def test_applies_every_event_type(applier: Applier, engine: Engine) -> None:
    messages = example_events(source="t")
    delta = applier.apply([raw(m) for m in messages])
    with Session(engine) as conn:
        assert conn.execute(select(func.count()).select_from(DeadLetter)).scalar() == 0
        case = conn.execute(select(Case).where(Case.case_no == CASE)).scalars().one()
        history = conn.execute(select(CaseEvent.type, CaseEvent.from_state, CaseEvent.to_state)
                               .where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
        assignments = conn.execute(select(Assignment).where(Assignment.case_id == case.id)
                                   .order_by(Assignment.id)).scalars().all()
        others = dict(conn.execute(select(Case.case_no, Case.state).where(Case.case_no != CASE)).all())
        alert = conn.execute(select(Alert)).scalars().one()
        state = conn.execute(select(IngestState)).scalars().one()
        day = conn.execute(select(DailyStat).where(DailyStat.day == NOW.date())).scalars().one()
    case_types = [m["type"] for m in messages if m["data"].get("case_no") == CASE and
                  m["type"].startswith("case.")]
    assert [h.type for h in history] == case_types
    assert history[0].to_state == "registered" and history[-1].to_state == "closed"
    assert ("case.returned", "assigned", "returned") in [tuple(h) for h in history]
    assert case.state == "closed" and not case.is_open and case.outcome == "success"
    assert case.supervision == "yellow" and case.escalated and case.returns == 1
    assert case.satisfaction == "satisfied"
    assert case.resolve_due == datetime.fromisoformat("2026-12-08T09:15:00+08:00")
    assert [(a.department_code, a.status) for a in assignments] == [("sfj", "returned"), ("rsj", "resolved")]
    assert assignments[0].sign_due is not None, "deadlines are computed when the message gives none"
    assert assignments[1].extension == "granted"
    assert others == {"ZZ20261126-0002": "referred", "ZZ20261126-0003": "terminated"}
    assert alert.cleared_at is not None
    n_seq = len([m for m in messages if m["type"] != "heartbeat"])
    assert state.seq == n_seq == applier.seq
    assert state.accepted == len(messages) and state.rejected == 0
    assert state.last_heartbeat_at is not None
    assert (day.registered, day.resolved, day.resolved_success, day.visited, day.satisfied) == (3, 1, 1, 1, 1)
    assert delta is not None and delta["prev"] == 0 and delta["seq"] == n_seq
    assert delta["counters"]["today_registered"] == 3 and delta["counters"]["open"] == 0
    assert sorted(delta["pins"]["remove"]) == [CASE, "ZZ20261126-0002", "ZZ20261126-0003"]


def test_bad_messages_are_dead_lettered_and_good_ones_go_on(applier: Applier, engine: Engine) -> None:
    good1, good2 = registered("G-1"), registered("G-2")
    batch = [
        RawMessage("t:feed:cases", b"\xff not utf-8"),
        raw(good1),
        RawMessage("t:feed:cases", b"{broken json"),
        raw({**registered("B-1"), "v": 7}),
        raw(registered("B-2", township="999999999")),
        raw(event("case.resolved", "G-1", 5, department="rsj", outcome="success")),
        raw(event("case.signed", "NOPE", 6, department="rsj")),
        raw(registered("B-3", category="77")),
        raw({**registered("B-4"), "at": (NOW + timedelta(days=2)).isoformat()}),
        raw(good2),
    ]
    delta = applier.apply(batch)
    with Session(engine) as conn:
        reasons = sorted(conn.execute(select(DeadLetter.reason)).scalars())
        kept = conn.execute(select(DeadLetter.raw).where(DeadLetter.reason == "bad_utf8")).scalar()
        cases = sorted(conn.execute(select(Case.case_no)).scalars())
        state = conn.execute(select(IngestState)).scalars().one()
    assert reasons == sorted(["bad_utf8", "not_json", "bad_version", "unknown_place", "bad_transition",
                              "unknown_case", "unknown_category", "future_timestamp"])
    assert kept == b"\xff not utf-8", "the raw message is kept whole for inspection"
    assert cases == ["G-1", "G-2"]
    assert (state.accepted, state.rejected) == (2, 8)
    assert delta is not None and delta["seq"] == 2


def test_duplicate_ids_are_ignored_once_and_counted(applier: Applier, engine: Engine) -> None:
    message = registered("D-1")
    applier.apply([raw(message), raw(message)])
    applier.apply([raw(message)])
    again = Applier(engine, clock=lambda: NOW)  # a restarted ingest remembers through the store
    assert again.apply([raw(message)]) is None
    with Session(engine) as conn:
        assert conn.execute(select(func.count()).select_from(Case)).scalar() == 1
        assert conn.execute(select(IngestState.duplicates)).scalar() == 3


def test_restart_keeps_live_cases_and_seq(applier: Applier, engine: Engine) -> None:
    applier.apply([raw(registered("R-1")), raw(event("case.assigned", "R-1", 3, department="rsj"))])
    again = Applier(engine, clock=lambda: NOW)
    assert again.seq == 2 and again.live["R-1"].state == "assigned"
    delta = again.apply([raw(event("case.signed", "R-1", 4, department="rsj"))])
    assert delta is not None and delta["prev"] == 2 and delta["seq"] == 3


def test_snapshot_agrees_with_the_ingest(applier: Applier, engine: Engine) -> None:
    batch = [raw(registered(f"S-{i}", lat=27.8 + i / 1000)) for i in range(5)]
    batch.append(raw(event("case.assigned", "S-0", 10, department="rsj",
                           sign_due=(NOW - timedelta(hours=3)).isoformat(),
                           resolve_due=(NOW - timedelta(hours=1)).isoformat())))
    batch.append(raw(event("case.signed", "S-1", 11, department="rsj")))  # not allowed: not assigned
    applier.apply(batch)
    snap = snapshot(engine, NOW.astimezone())
    assert snap["seq"] == applier.seq == 6
    assert snap["counters"] == applier.counters()
    assert snap["counters"]["overdue"] == 1 and snap["counters"]["open"] == 5
    assert snap["warnings"] == applier.warnings(NOW) and snap["warnings"]
    assert sorted(snap["pins"], key=lambda p: p["case_no"]) == sorted(applier.pins(),
                                                                       key=lambda p: p["case_no"])
    assert [row["seq"] for row in snap["ticker"]] == list(range(1, 7))


def test_headline_figures_follow_their_definitions(applier: Applier, engine: Engine) -> None:
    """口径: month rates from the month's counts; cards and majors from the open cases."""
    batch = [raw(registered(f"K-{i}", group=False, scale="01", grade="04")) for i in range(4)]
    batch.append(raw(registered("K-major", grade="02", group=False, scale="01")))
    steps = [("case.assigned", {"department": "rsj"}), ("case.signed", {"department": "rsj"}),
             ("case.resolved", {"department": "rsj", "outcome": "success"}),
             ("case.visited", {"satisfaction": "satisfied"})]
    n = 10
    for case_no, outcome, satisfaction in (("K-0", "success", "satisfied"), ("K-1", "failed", "unsatisfied")):
        for type_, data in steps:
            n += 1
            data = dict(data)
            if type_ == "case.resolved":
                data["outcome"] = outcome
            if type_ == "case.visited":
                data["satisfaction"] = satisfaction
            batch.append(raw(event(type_, case_no, n, **data)))
    batch.append(raw(event("case.supervised", "K-2", 30, level="yellow")))
    batch.append(raw(event("case.supervised", "K-3", 31, level="red")))
    applier.apply(batch)
    c = applier.counters()
    # registered 5 this month, resolved 2 (1 successfully), visited 2 (1 satisfied)
    assert (c["today_registered"], c["open"], c["today_resolved"]) == (5, 3, 2)
    assert (c["month_resolution_rate"], c["success_rate"], c["satisfaction_rate"]) == (0.4, 0.5, 0.5)
    assert (c["yellow"], c["red"], c["major"]) == (1, 1, 1)
    assert snapshot(engine, NOW.astimezone())["counters"] == c
    fresh = Applier(engine, clock=lambda: NOW)  # a restarted ingest rebuilds the same figures
    assert fresh.counters() == c


def test_sensitive_category_pins_sit_at_the_village_centroid(applier: Applier, county) -> None:
    village = county.villages()[0]
    applier.apply([raw(registered("F-1", category="01", village=village.code, lat=27.9, lon=113.0))])
    (pin,) = applier.pins()
    assert (pin["lat"], pin["lon"]) == (round(village.lat, 5), round(village.lon, 5))


def test_leagues_rank_departments_and_townships_by_their_definitions(applier: Applier, engine: Engine,
                                                                     county) -> None:
    from datafeeds.clock import month_start_utc
    from datafeeds.leagues import leagues

    t1, t2 = county.townships()[0].code, county.townships()[1].code
    batch = [raw(registered("L-1", township=t1)), raw(registered("L-2", township=t1)),
             raw(registered("L-3", township=t2))]
    at = NOW - timedelta(minutes=50)
    batch += [raw(event("case.assigned", "L-1", 11, department="rsj", sign_due=(at + timedelta(hours=1)).isoformat(),
                        resolve_due=(at + timedelta(hours=5)).isoformat())),
              raw(event("case.signed", "L-1", 21, department="rsj")),          # signed after 10 min
              raw(event("case.resolved", "L-1", 41, department="rsj", outcome="success")),  # resolved after 30 min
              raw(event("case.assigned", "L-2", 12, department="sfj", sign_due=(at - timedelta(hours=2)).isoformat(),
                        resolve_due=(at - timedelta(hours=1)).isoformat())),  # already overdue
              raw(event("case.assigned", "L-3", 13, department="rsj", resolve_due=(at + timedelta(days=5)).isoformat(),
                        sign_due=(at + timedelta(days=1)).isoformat())),
              raw(event("case.returned", "L-3", 23, department="rsj", reason="非本部门"))]
    applier.apply(batch)
    with Session(engine) as conn:
        lg = leagues(conn, month_start_utc(NOW), NOW)
    depts = {d["department"]: d for d in lg["departments"]}
    assert lg["departments"][0]["department"] == "sfj"  # the one with an overdue case comes first
    assert depts["sfj"]["overdue"] == 1 and depts["sfj"]["on_time_rate"] is None
    rsj = depts["rsj"]
    assert (rsj["assigned"], rsj["returns"], rsj["overdue"]) == (2, 1, 0)
    assert (rsj["sign_median_h"], rsj["resolve_median_h"], rsj["on_time_rate"]) == (round(10 / 60, 1), 0.5, 1.0)
    towns = {t["township"]: t for t in lg["townships"]}
    assert lg["townships"][0]["township"] == t1
    assert (towns[t1]["registered"], towns[t1]["success_rate"], towns[t1]["overdue"]) == (2, 1.0, 1)
    assert (towns[t2]["registered"], towns[t2]["success_rate"]) == (1, None)
    assert snapshot(engine, NOW.astimezone())["leagues"] == lg


def test_figures_change_against_yesterdays_close(engine: Engine) -> None:
    """在办, cards, majors and the month's rates compare with the figures the ingest last recorded yesterday."""
    from datafeeds.models import DailyFigures

    day1 = Applier(engine, clock=lambda: NOW)
    day1.apply([raw(registered(f"Y-{i}", group=False, scale="01", grade="04")) for i in range(3)])
    day1.record_figures()
    assert day1.counters()["since_close"]["open"] is None  # nothing recorded the day before
    later = NOW + timedelta(days=1, hours=1)
    day2 = Applier(engine, clock=lambda: later)
    msg = registered("Y-9", group=True)
    msg["at"] = later.isoformat()
    day2.apply([raw(msg)])
    c = day2.counters()
    assert c["open"] == 4 and c["since_close"]["open"] == 1 and c["since_close"]["major"] == 1
    assert c["since_close"]["month_resolution_rate"] == 0.0  # nothing resolved either day
    assert snapshot(engine, later)["counters"] == c
    day2.record_figures()
    with Session(engine) as conn:
        rows = {r.day.isoformat(): r.figures["open"] for r in conn.execute(select(DailyFigures)).scalars()}
    assert rows == {"2026-11-26": 3, "2026-11-27": 4}
