"""The simulator: determinism, contract validity, legal lifecycles, a realistic mix, rhythm and rates."""

from __future__ import annotations

import itertools
import json
import re
import statistics
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import Engine

from datafeeds.apply import Applier, RawMessage
from datafeeds.clock import SHANGHAI
from datafeeds.contract import channel_for, dumps, parse_event
from datafeeds.county import County, build_county, point_in_ring
from datafeeds.deadlines import add_working_days, working_time_between
from datafeeds.lifecycle import FINAL_STATES, next_state
from datafeeds.publisher import Publisher
from datafeeds.simnames import ORG_RESPONDENTS
from datafeeds.simrun import RunStats, run_simulation
from datafeeds.simulator import SimEvent, Simulator

START = datetime(2026, 10, 20, 0, 0, tzinfo=UTC)  # a Tuesday, 08:00 in Beijing
SATURDAY = datetime(2026, 11, 28, 11, 35, tzinfo=UTC)  # 19:35 in Beijing, a weekend with no 调休


@pytest.fixture(scope="module")
def county_() -> County:
    return build_county()


@pytest.fixture(scope="module")
def long_run(county_: County) -> list[SimEvent]:
    """Return three weeks of history plus a day of live events at 400 cases a day."""
    sim = Simulator(county_, seed=11, start=START, cases_per_day=400)
    return sim.backfill(21) + sim.events_until(START + timedelta(days=1))


def _cases(events: list[SimEvent]) -> dict[str, list[SimEvent]]:
    by: dict[str, list[SimEvent]] = defaultdict(list)
    for e in events:
        if e.type.startswith("case."):
            by[e.data["case_no"]].append(e)
    return by


def test_same_seed_same_stream_however_it_is_chunked(county_: County) -> None:
    a = Simulator(county_, seed=5, start=START, cases_per_day=300)
    b = Simulator(county_, seed=5, start=START, cases_per_day=300)
    whole = a.backfill(2, warmup_days=5) + a.events_until(START + timedelta(hours=12))
    pieces = b.backfill(2, warmup_days=5)
    for hour in range(1, 13):
        pieces += b.events_until(START + timedelta(hours=hour))
    assert len(whole) > 1000
    assert whole == pieces
    c = Simulator(county_, seed=6, start=START, cases_per_day=300)
    other = c.backfill(2, warmup_days=5)
    assert [e.data for e in other[:50]] != [e.data for e in whole[:50]]


def test_every_event_validates_through_the_publisher(long_run: list[SimEvent], rclient: redis.Redis) -> None:
    pub = Publisher(rclient, prefix="unused", source="simulator")
    for e in long_run:
        envelope = pub.event(e.type, e.data, at=e.at)
        assert parse_event(dumps(envelope)).type == e.type
        json.dumps(e.data)  # plain JSON: the data can be printed or stored as is


def test_each_case_follows_a_legal_lifecycle(long_run: list[SimEvent]) -> None:
    finals: Counter[str] = Counter()
    for no, events in _cases(long_run).items():
        assert events[0].type == "case.registered", no
        state, dept = "registered", None
        for prev, e in itertools.pairwise(events):
            assert e.at >= prev.at, no
            assert state not in FINAL_STATES, f"{no}: {e.type} after {state}"
            if e.type == "case.assigned":
                dept = e.data["department"]
                assert datetime.fromisoformat(e.data["resolve_due"]) > e.at
                assert datetime.fromisoformat(e.data["sign_due"]) > e.at
            elif e.type in ("case.signed", "case.resolved", "case.returned", "case.progress"):
                assert e.data["department"] == dept, no
            state = next_state(e.type, state)
        finals[state] += 1
    assert finals["closed"] > 0.5 * sum(finals.values())
    assert finals["referred"] > 0 and finals["terminated"] > 0


def test_the_mix_has_returns_escalations_supervision_extensions_and_incidents(
    long_run: list[SimEvent],
) -> None:
    types = Counter(e.type for e in long_run)
    registered = sum(1 for e in long_run if e.type == "case.registered" and e.at >= START - timedelta(days=21))
    assert 21 * 300 < registered < 22 * 450
    for needed in ("case.returned", "case.escalated", "case.supervised", "case.extension", "case.progress",
                   "case.visited", "case.closed", "case.referred", "case.terminated"):
        assert types[needed] > 0, needed
    assert 0.02 < types["case.returned"] / registered < 0.09
    assert 0.005 < types["case.escalated"] / registered < 0.05
    levels = Counter(e.data["level"] for e in long_run if e.type == "case.supervised")
    # 加急督办 comes from people; yellow and red cards for passed deadlines are the ingest's to raise.
    assert levels["normal"] > 0 and levels["yellow"] == levels["red"] == 0
    statuses = {e.data["status"] for e in long_run if e.type == "case.extension"}
    assert statuses == {"requested", "granted", "refused"}
    outcomes = Counter(e.data["outcome"] for e in long_run if e.type == "case.resolved")
    assert 0.85 < outcomes["success"] / sum(outcomes.values()) < 0.97
    ratings = Counter(e.data["satisfaction"] for e in long_run if e.type == "case.visited")
    assert ratings.most_common(1)[0][0] == "satisfied"
    alerts = [e for e in long_run if e.type == "alert.raised"]
    assert {a.data["level"] for a in alerts} == {"group", "major"}
    cleared = {e.data["alert_id"] for e in long_run if e.type == "alert.cleared"}
    assert cleared and cleared <= {a.data["alert_id"] for a in alerts}
    groups = [e.data for e in long_run if e.type == "case.registered" and e.data["group"]]
    assert groups and all(g["scale"] in ("02", "03") and 30 <= g["people_involved"] <= 300 for g in groups)
    assert any(e.data["grade"] == "02" for e in long_run if e.type == "case.registered")


def test_departments_behave_differently(long_run: list[SimEvent]) -> None:
    late: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for events in _cases(long_run).values():
        due, dept = None, None
        for e in events:
            if e.type == "case.assigned" or (e.type == "case.extension" and "resolve_due" in e.data):
                due, dept = datetime.fromisoformat(e.data["resolve_due"]), e.data["department"]
            if e.type == "case.resolved" and due is not None and dept is not None:
                total[dept] += 1
                late[dept] += e.at > due
    share = {d: late[d] / total[d] for d in total if total[d] >= 50}
    assert share["zrzyj"] > 0.3 and share["zjj"] > 0.25  # the chronic latecomers
    assert share["rsj"] < 0.15 and share["sfj"] < 0.1
    assigned = Counter(e.data["department"] for e in long_run if e.type == "case.assigned")
    assert assigned["rsj"] > 0 and assigned["jjdd"] > 0 and any(d.startswith("zz-") for d in assigned)


def test_cases_carry_masked_parties_and_places_in_the_county(
    long_run: list[SimEvent], county_: County
) -> None:
    organisations = {name for names in ORG_RESPONDENTS.values() for name in names}
    for e in long_run:
        if e.type != "case.registered":
            continue
        d = e.data
        village = county_.place(d["village"])
        assert village.parent_code == d["township"]
        assert d["title"].startswith(village.name)
        if d["category"].startswith("01"):
            assert (d["lat"], d["lon"]) == (round(village.lat, 6), round(village.lon, 6))
        else:
            assert point_in_ring(d["lon"], d["lat"], village.ring())
        for party in d["parties"]:
            if "phone" in party:
                assert re.fullmatch(r".\*.?", party["name"]), party
                assert re.fullmatch(r"1\d{2}\*{4}\d{4}", party["phone"])
                assert re.fullmatch(r"\d{4}\*{10}\d{4}", party["id_number"])
            else:  # an organisation, never a person's name
                assert party["name"] in organisations and set(party) == {"role", "name"}
        if d["category"][:2] in ("07", "08"):
            assert d["amount_involved"] > 0


def test_daily_rhythm_is_busy_mid_morning_and_quiet_before_dawn(long_run: list[SimEvent]) -> None:
    hours = Counter(e.at.astimezone(SHANGHAI).hour for e in long_run if e.type == "case.registered")
    assert hours[9] + hours[10] > 4 * (hours[2] + hours[3])
    assert hours[15] > 3 * hours[3]


def test_backfill_is_in_the_past_and_open_cases_continue_live(county_: County) -> None:
    sim = Simulator(county_, seed=2, start=START, cases_per_day=200, speedup=60)
    history = sim.backfill(3)
    assert history and all(e.at <= START for e in history)
    assert [e.at for e in history] == sorted(e.at for e in history)
    # Before the three days come only cases still going when they begin: busy in the three days or still open.
    cases = _cases(history)
    earlier = {no for no, events in cases.items() if events[0].at < START - timedelta(days=3)}
    assert earlier and all(cases[no][-1].at >= START - timedelta(days=3)
                           or cases[no][-1].type not in ("case.closed", "case.referred", "case.terminated")
                           for no in earlier)
    with pytest.raises(RuntimeError):
        sim.backfill(1)
    live = sim.events_until(START + timedelta(hours=6))
    old = {e.data["case_no"] for e in history if e.type == "case.registered"}
    assert any(e.type.startswith("case.") and e.data["case_no"] in old for e in live)
    # Six simulated hours at speedup 60 fit in six real minutes.
    assert all(START < e.at <= START + timedelta(minutes=6) for e in live)
    for e in live:
        if e.type == "case.assigned" and e.data["case_no"] not in old:
            window = datetime.fromisoformat(e.data["resolve_due"]) - e.at
            assert timedelta(0) < window < timedelta(days=60) / 60


def test_live_stamps_never_lie_in_the_future(county_: County) -> None:
    began = datetime.now(UTC) - timedelta(minutes=10)
    sim = Simulator(county_, seed=4, cases_per_day=400, speedup=600, start=began)
    now = datetime.now(UTC)
    events = sim.events_until(sim.sim_time_at(now))  # 100 simulated hours
    assert len(events) > 500 and all(began < e.at <= now for e in events)


def test_fixed_rate_events_come_in_the_asked_number(county_: County) -> None:
    sim = Simulator(county_, seed=9, start=START)
    at = datetime(2026, 11, 1, tzinfo=UTC)
    first, second = sim.rate_events(1234, at=at), sim.rate_events(766, at=at)
    assert len(first) == 1234 and len(second) == 766
    assert all(e.at == at for e in first + second)
    states: dict[str, str] = {}
    for e in first + second:
        if e.type.startswith("case."):
            no = e.data["case_no"]
            states[no] = "registered" if e.type == "case.registered" else next_state(e.type, states[no])


def _drain(pubsub: redis.client.PubSub, quiet: float = 0.5) -> list[dict[str, object]]:
    got: list[dict[str, object]] = []
    deadline = time.monotonic() + quiet
    while time.monotonic() < deadline:
        msg = pubsub.get_message(timeout=0.1)
        if msg and msg["type"] == "pmessage":
            got.append(json.loads(msg["data"]))
            deadline = time.monotonic() + quiet
    return got


def test_run_publishes_backfill_then_exactly_rate_times_duration(
    county_: County, rclient: redis.Redis, prefix: str
) -> None:
    pubsub = rclient.pubsub()
    pubsub.psubscribe(f"{prefix}:feed:*")
    assert pubsub.get_message(timeout=2)  # the subscription is confirmed before anything is sent
    sim = Simulator(county_, seed=3, cases_per_day=150)
    expected_backfill = len(Simulator(county_, seed=3, cases_per_day=150, start=sim.start).backfill(1))
    stats = run_simulation(sim, Publisher(rclient, prefix=prefix, source="sim-test"), backfill_days=1, rate=200,
                    duration=1.0, heartbeat_s=0.4)
    got = _drain(pubsub)
    pubsub.close()
    assert stats.backfill == expected_backfill
    assert stats.live == 200
    beats = [m for m in got if m["type"] == "heartbeat"]
    assert len(beats) == stats.heartbeats >= 2
    assert len(got) - len(beats) == expected_backfill + 200
    seqs = [int(str(m["seq"])) for m in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_live_run_sends_each_event_when_its_stamp_comes(
    county_: County, rclient: redis.Redis, prefix: str
) -> None:
    pubsub = rclient.pubsub()
    pubsub.psubscribe(f"{prefix}:feed:*")
    assert pubsub.get_message(timeout=2)
    # 2,000 cases a day at speedup 600: a few events a second, each due at its own moment.
    sim = Simulator(county_, seed=8, cases_per_day=2000, speedup=600)
    result: list[RunStats] = []
    runner = threading.Thread(target=lambda: result.append(
        run_simulation(sim, Publisher(rclient, prefix=prefix, source="sim-live"), duration=3.0, heartbeat_s=5)))
    runner.start()
    lags: list[float] = []
    quiet_until = None
    while quiet_until is None or time.monotonic() < quiet_until:
        msg = pubsub.get_message(timeout=0.05)
        if msg and msg["type"] == "pmessage":
            event = json.loads(msg["data"])
            if event["type"] != "heartbeat":
                lags.append((datetime.now(UTC) - datetime.fromisoformat(event["at"])).total_seconds())
        if not runner.is_alive() and (quiet_until is None or msg):
            quiet_until = time.monotonic() + 0.5  # drain what is still on the wire
    runner.join()
    pubsub.close()
    assert result[0].heartbeats == 1 and result[0].live == len(lags) > 3
    assert min(lags) >= 0  # never stamped in the future
    assert statistics.median(lags) < 0.08  # sent when due, not at the next polling tick


def _apply(applier: Applier, events: list[SimEvent], publisher: Publisher) -> None:
    """Apply events as the ingest does, then its clock tick's 督办 cards."""
    messages = [RawMessage(f"t:feed:{channel_for(e.type).value}", dumps(publisher.event(e.type, e.data, at=e.at))
                           .encode()) for e in events]
    for i in range(0, len(messages), 2000):
        applier.apply(messages[i:i + 2000])
    cards = applier.due_cards()
    if cards:
        applier.apply(cards)


@pytest.mark.parametrize("start", [START + timedelta(hours=2), SATURDAY], ids=["tuesday", "saturday"])
def test_the_demo_wall_shows_a_minority_of_open_cases_pre_warned_or_overdue(
    county_: County, engine: Engine, rclient: redis.Redis, start: datetime
) -> None:
    """Seeded as `zhongshu demo` does (3 days of history, then the live run at speedup 30; half its cases a
    day, to stay quick), the wall's own figures look like a county's: 临期 (past 70 % of the allowed working
    time) and 超期 are a minority of the open cases, there are some of each, and 督办 cards are rarer still.
    The compressed live clock once made most open cases 临期 at once."""
    now = start
    applier = Applier(engine, clock=lambda: now)
    publisher = Publisher(rclient, prefix="unused", source="simulator")
    sim = Simulator(county_, seed=1, cases_per_day=300, speedup=30, start=start)
    _apply(applier, sim.backfill(3), publisher)
    assert applier.rejected == 0
    for live in (timedelta(0), timedelta(minutes=20), timedelta(hours=1)):
        now = start + live
        _apply(applier, sim.events_until(sim.sim_time_at(now)), publisher)
        figures = applier.counters(now)
        open_ = figures["open"]
        assert open_ > 500, live
        assert 0.02 * open_ < figures["warning"] < 0.2 * open_, (live, figures)
        assert 0.01 * open_ < figures["overdue"] < 0.1 * open_, (live, figures)
        assert figures["yellow"] < 0.15 * open_ and 0 < figures["red"] < 0.05 * open_, (live, figures)
    assert applier.rejected == 0


def test_the_simulator_sends_deadline_cards_only_when_asked(county_: County) -> None:
    # For an ingest with automatic supervision turned off, the simulator raises yellow and red itself.
    sim = Simulator(county_, seed=5, start=START, cases_per_day=400, threshold_cards=True)
    levels = Counter(e.data["level"] for e in sim.backfill(10) if e.type == "case.supervised")
    assert levels["yellow"] > 0 and levels["red"] > 0 and levels["normal"] > 0


def test_live_deadlines_leave_the_wall_working_time_to_warn_in(county_: County) -> None:
    # On a real weekend the wall's working clock stands still: a deadline there gives it nothing to take 70 % of.
    sim = Simulator(county_, seed=3, cases_per_day=400, speedup=30, start=SATURDAY)
    live = sim.events_until(SATURDAY + timedelta(days=2))
    assigned = [e for e in live if e.type == "case.assigned"]
    assert len(assigned) > 100
    for e in assigned:
        due = datetime.fromisoformat(e.data["resolve_due"])
        assert working_time_between(e.at, due) > timedelta(0), e.data
    # At speedup 1 the two calendars are one: the deadlines are the policy's (2, 5, 20 or 30 working days).
    real = Simulator(county_, seed=3, cases_per_day=400, start=SATURDAY)
    for e in real.events_until(SATURDAY + timedelta(days=2)):
        if e.type == "case.assigned":
            due = datetime.fromisoformat(e.data["resolve_due"])
            assert due in {add_working_days(e.at, n) for n in (2, 5, 20, 30)}, e.data
