"""The log of pushed deltas that walls catch up from (real Redis)."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from datafeeds.deltalog import DeltaLog, Gone


def _delta(prev: int, seq: int, **more: Any) -> dict[str, Any]:
    return {"prev": prev, "seq": seq, "counters": {"open": seq}, **more}


@pytest.fixture
def dlog(rclient: redis.Redis, prefix: str) -> DeltaLog:
    return DeltaLog(rclient, prefix, maxlen=100)


def test_a_wall_gets_what_followed_its_seq_in_push_order(dlog: DeltaLog) -> None:
    for prev, seq in ((0, 2), (2, 5), (5, 5), (5, 9)):  # (5, 5): the clock alone changed the figures
        dlog.append(_delta(prev, seq))
    got = dlog.after(2, store_seq=9, max_bytes=10**6)
    assert [(d["prev"], d["seq"]) for d in got.deltas] == [(0, 2), (2, 5), (5, 5), (5, 9)]  # from seq 2 on
    assert got.seq == 9
    # a wall whose snapshot fell inside a merged delta (seq 3 of 2 → 5) is brought on by it
    assert next((d["prev"], d["seq"]) for d in dlog.after(3, store_seq=9, max_bytes=10**6).deltas) == (2, 5)
    current = dlog.after(9, store_seq=9, max_bytes=10**6)  # a wall that missed nothing gets the last one again
    assert [(d["prev"], d["seq"]) for d in current.deltas] == [(5, 9)] and current.seq == 9


def test_what_the_log_cannot_prove_complete_is_refused(dlog: DeltaLog, rclient: redis.Redis, prefix: str) -> None:
    dlog.append(_delta(0, 3))
    dlog.append(_delta(4, 6))  # 3 → 4 was committed but never logged (an ingest killed between the two)
    with pytest.raises(Gone) as gone:
        dlog.after(3, store_seq=6, max_bytes=10**6)
    assert gone.value.reason == "gap"
    assert dlog.after(4, store_seq=6, max_bytes=10**6).seq == 6
    with pytest.raises(Gone, match="behind"):  # the store has 7; the log stops at 6
        dlog.after(4, store_seq=7, max_bytes=10**6)
    with pytest.raises(Gone, match="ahead"):  # a wall from before the store was reset
        dlog.after(8, store_seq=7, max_bytes=10**6)
    with pytest.raises(Gone, match="too_big"):
        dlog.after(4, store_seq=6, max_bytes=10)
    # an empty log and a store that moved on: only a snapshot can tell the wall
    fresh = DeltaLog(rclient, prefix + "-other")
    with pytest.raises(Gone, match="behind"):
        fresh.after(0, store_seq=1, max_bytes=10**6)
    assert fresh.after(0, store_seq=0, max_bytes=10**6).deltas == []


def test_the_log_is_bounded_and_a_trimmed_start_is_refused(rclient: redis.Redis, prefix: str) -> None:
    dlog = DeltaLog(rclient, prefix, maxlen=10)
    for seq in range(1, 501):
        dlog.append(_delta(seq - 1, seq))
    assert rclient.xlen(dlog.key) < 200  # trimmed near 10 (Redis trims whole nodes: about, not exactly)
    with pytest.raises(Gone, match="gap"):
        dlog.after(1, store_seq=500, max_bytes=10**8)
    got = dlog.after(495, store_seq=500, max_bytes=10**8)
    assert [d["seq"] for d in got.deltas] == [495, 496, 497, 498, 499, 500]


def test_an_ingest_starting_on_a_reset_store_drops_the_old_log(dlog: DeltaLog, rclient: redis.Redis,
                                                               prefix: str) -> None:
    for seq in range(1, 6):
        dlog.append(_delta(seq - 1, seq))
    again = DeltaLog(rclient, prefix)  # a new ingest process: reads the log's top
    again.reset_if_ahead(5)
    again.append(_delta(5, 5))
    assert rclient.xlen(again.key) == 6
    restarted = DeltaLog(rclient, prefix)
    restarted.reset_if_ahead(0)  # the store was emptied: seq 1 now means another event
    restarted.append(_delta(0, 1))
    assert [d["seq"] for d in restarted.after(0, store_seq=1, max_bytes=10**6).deltas] == [1]


def test_panels_are_kept_as_last_pushed(dlog: DeltaLog) -> None:
    assert dlog.read_panels() is None
    dlog.store_panels({"leagues": {"departments": []}, "trends": {"days": ["2026-12-01"]}})
    assert dlog.read_panels() == {"leagues": {"departments": []}, "trends": {"days": ["2026-12-01"]}}
