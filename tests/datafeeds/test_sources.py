"""Per-source accounting: gaps from seq jumps, filled by late messages; restarts; silence; kept in the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from datafeeds.apply import Applier, RawMessage
from datafeeds.sources import Sources, SourceState, read_status

T0 = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


def test_gaps_are_counted_and_filled_by_late_messages() -> None:
    st = SourceState()
    for seq in (1, 2, 3, 7, 8, 12):
        st.note(seq, T0)
    assert (st.last_seq, st.gaps, st.ranges) == (12, 6, [[4, 6], [9, 11]])
    st.note(5, T0)  # replayed from the feed log
    assert (st.gaps, st.ranges) == (5, [[4, 4], [6, 6], [9, 11]])
    for seq in (4, 6, 9, 10, 11):
        st.note(seq, T0)
    assert (st.gaps, st.ranges, st.last_seq, st.restarts) == (0, [], 12, 0)
    st.note(1, T0)  # the publisher restarted and counts from 1 again
    assert (st.last_seq, st.restarts, st.gaps) == (1, 1, 0)


def test_many_gaps_keep_an_exact_count_in_few_ranges() -> None:
    st = SourceState()
    for seq in range(1, 200, 3):  # a gap of two after every message
        st.note(seq, T0)
    assert st.gaps == 2 * 66 and len(st.ranges) <= 20
    assert sum(hi - lo + 1 for lo, hi in st.ranges) >= st.gaps  # merged ranges cover every missing seq


def test_silence_counts_from_the_promised_interval() -> None:
    st = SourceState()
    st.note(1, T0, interval_s=20.0)
    assert st.silent_for(T0 + timedelta(seconds=59), stale_s=30) is None  # 3 × 20 s not yet passed
    assert st.silent_for(T0 + timedelta(seconds=61), stale_s=30) == 61.0


def _message(source: str, seq: int, type_: str = "heartbeat") -> RawMessage:
    return RawMessage("t:feed:heartbeat", json.dumps({"v": 1, "id": f"{source}-{seq}", "source": source, "seq": seq,
                                                       "type": type_, "at": T0.isoformat(),
                                                       "data": {"interval_s": 5}}).encode())


def test_the_ingest_keeps_sources_across_a_restart(engine: Engine) -> None:
    applier = Applier(engine, clock=lambda: T0)
    applier.apply([_message("hotline", n) for n in (1, 2, 5)] + [_message("grid-app", 1)])
    applier.apply([_message("hotline", 2)])  # a duplicate id: not counted again
    status = {s["source"]: s for s in applier.sources.status(datetime.now(UTC))}
    assert status["hotline"]["gaps"] == 2 and status["hotline"]["gap_ranges"] == [[3, 4]]
    assert status["hotline"]["interval_s"] == 5 and status["grid-app"]["gaps"] == 0
    applier.sources.save(engine, datetime.now(UTC))
    again = Sources()
    again.load(engine)
    assert again.by_name["hotline"].ranges == [[3, 4]] and again.by_name["hotline"].last_seq == 5
    later = datetime.now(UTC) + timedelta(seconds=40)
    silent = {s["source"]: s["silent_s"] for s in read_status(engine, later, stale_s=30, write_lag_s=5)}
    assert silent["hotline"] is not None and silent["hotline"] >= 35
    assert read_status(engine, datetime.now(UTC), stale_s=30)[0]["silent_s"] is None
    from datafeeds.queries import snapshot

    snap = snapshot(engine, datetime.now(UTC))  # a wall knows the publishers from its first paint
    assert [(s["source"], s["gaps"]) for s in snap["sources"]] == [("grid-app", 0), ("hotline", 2)]
