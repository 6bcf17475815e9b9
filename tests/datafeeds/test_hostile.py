"""Hostile input: a fixed corpus with a reason code per message, generated messages (hypothesis), size and
nesting bombs, the bounded dead-letter table. Good messages in the same batch always land."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from datafeeds import deadletters
from datafeeds.apply import Applier, RawMessage
from datafeeds.contract import ContractError, parse_event
from datafeeds.contractdocs import render_markdown
from datafeeds.guard import FeedLimits, check_times
from datafeeds.jsonguard import MAX_DEPTH
from datafeeds.models import Alert, Case, CaseEvent, DeadLetter, IngestState
from datafeeds.queries import snapshot
from datafeeds.reasons import REASONS
from datafeeds.rows import RAW_KEEP

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "hostile"
REJECTED = sorted((CORPUS / "rejected").iterdir())
ACCEPTED = sorted((CORPUS / "accepted").iterdir())
NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")
AT = "2026-11-26T11:00:00+08:00"
BASE = "HOSTILE-BASE"
CHANNEL = "t:feed:cases"
# Reasons no message can earn by itself: the store refusing what every check let through.
NOT_IN_CORPUS = {"store_error"}

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("dev", database=None, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def reason_of(path: Path) -> str:
    return path.name.split("__")[0]


def register(case_no: str, n: int, **data: Any) -> dict[str, Any]:
    body = {"case_no": case_no, "title": "邻里纠纷", "category": "02", "source_channel": "grid",
            "township": "439901100", "lat": 27.8123, "lon": 113.0871, **data}
    return {"v": 1, "id": f"good-{case_no}-{n}", "source": "good", "seq": n, "type": "case.registered", "at": AT,
            "data": body}


def raw(message: dict[str, Any] | bytes) -> RawMessage:
    data = message if isinstance(message, bytes) else json.dumps(message, ensure_ascii=False).encode()
    return RawMessage(CHANNEL, data)


@pytest.fixture
def applier(engine: Engine) -> Applier:
    a = Applier(engine, clock=lambda: NOW)
    a.apply([raw(register(BASE, 1))])
    assert BASE in a.live
    return a


def letters(engine: Engine) -> list[DeadLetter]:
    with Session(engine) as conn:
        return list(conn.execute(select(DeadLetter).order_by(DeadLetter.id)).scalars())


def stored_cases(engine: Engine) -> set[str]:
    with Session(engine) as conn:
        return set(conn.execute(select(Case.case_no)).scalars())


# ---- the corpus ----------------------------------------------------------------------------------------

def test_every_reason_is_documented_and_has_a_corpus_case() -> None:
    in_corpus = {reason_of(p) for p in REJECTED} | {"too_large"}  # too_large is generated (1 MB, 10 MB) below
    assert in_corpus - set(REASONS) == set(), "a corpus file names a reason code that does not exist"
    assert set(REASONS) - NOT_IN_CORPUS - in_corpus == set(), "add a corpus case for every reason code"
    doc = render_markdown()
    assert [code for code in REASONS if f"| `{code}` |" not in doc] == []


@pytest.mark.parametrize("path", [p for p in REJECTED if REASONS[reason_of(p)][0] == "decode"],
                         ids=lambda p: p.name)
def test_decoder_refuses_with_its_reason(path: Path) -> None:
    with pytest.raises(ContractError) as info:
        event = parse_event(path.read_bytes())
        check_times(event, NOW, FeedLimits())
    assert info.value.reason == reason_of(path), info.value.detail
    assert info.value.detail


def test_whole_corpus_in_one_batch_with_good_messages(applier: Applier, engine: Engine) -> None:
    batch: list[RawMessage] = []
    goods = []
    for n, path in enumerate(REJECTED):
        good = register(f"GOOD-{n}", 1000 + n)
        goods.append(good["data"]["case_no"])
        batch += [raw(good), RawMessage(CHANNEL, path.read_bytes())]
    delta = applier.apply(batch)
    assert delta is not None and delta["events"] == len(goods)
    by_sha = {x.raw_sha256: x for x in letters(engine)}
    wrong = {}
    for path in REJECTED:
        letter = by_sha.get(hashlib.sha256(path.read_bytes()).hexdigest())
        got = letter.reason if letter else "(accepted)"
        if got != reason_of(path):
            wrong[path.name] = f"{got}: {letter.detail if letter else ''}"
    assert wrong == {}
    assert stored_cases(engine) == {BASE, *goods}, "every good message in the batch landed"
    with engine.connect() as conn:
        counted = {k: v for k, v in deadletters.read_counters(conn).items() if k.startswith("rejected.")}
        state = conn.execute(select(IngestState.accepted, IngestState.rejected)).one()
    expected: dict[str, int] = {}
    for path in REJECTED:
        expected[f"rejected.{reason_of(path)}"] = expected.get(f"rejected.{reason_of(path)}", 0) + 1
    assert counted == expected
    assert tuple(state) == (1 + len(goods), len(REJECTED))
    assert applier.live[BASE].state == "registered", "no refused transition touched the case"


def test_accepted_corpus_is_stored_as_the_text_it_is(applier: Applier, engine: Engine) -> None:
    messages = {p.stem: json.loads(p.read_bytes()) for p in ACCEPTED}
    applier.apply([RawMessage(CHANNEL, p.read_bytes()) for p in ACCEPTED])
    assert letters(engine) == []
    with Session(engine) as conn:
        cases = {c.case_no: c for c in conn.execute(select(Case)).scalars()}
        alert = conn.execute(select(Alert)).scalars().one()
        notes = dict(conn.execute(select(CaseEvent.event_id, CaseEvent.note)).all())
    for m in messages.values():
        if m["type"] != "case.registered":
            continue
        d, case = m["data"], cases[m["data"]["case_no"]]
        for field in ("title", "description", "address", "grid"):
            if field in d:
                assert getattr(case, field) == d[field], field
        for party, sent in zip(case.parties, d.get("parties", []), strict=True):
            assert {k: party[k] for k in sent} == sent
        assert notes[m["id"]] == d.get("note", "")
    assert alert.title == messages["alert_with_script"]["data"]["title"]
    assert {n for n, c in cases.items() if c.outside_county} == {"CORPUS-BEIJING"}
    pins = {p["case_no"]: p for p in snapshot(engine, NOW)["pins"]}
    assert pins["CORPUS-BEIJING"]["outside"] is True and pins[BASE]["outside"] is False
    assert {p["case_no"]: p["outside"] for p in applier.pins()} == {k: p["outside"] for k, p in pins.items()}
    assert deadletters.summary(engine)["outside_county"] == 1
    assert Applier(engine, clock=lambda: NOW).live["CORPUS-BEIJING"].outside, "the flag survives a restart"


# ---- size and nesting bombs ----------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1_048_577, 10 * 1_048_576], ids=["1MB+1", "10MB"])
def test_oversized_messages_are_refused_before_decoding(applier: Applier, engine: Engine, size: int) -> None:
    # Invalid UTF-8 and a nesting bomb inside: only the size may be judged, nothing is decoded or parsed.
    bomb = (b"\xff" + b"[" * size)[:size]
    t0 = time.perf_counter()
    with pytest.raises(ContractError) as info:
        parse_event(bomb)
    decode_ms = (time.perf_counter() - t0) * 1000
    assert info.value.reason == "too_large" and str(size) in info.value.detail
    good = register("AFTER-BOMB", 2)
    t0 = time.perf_counter()
    applier.apply([raw(bomb), raw(good)])
    apply_ms = (time.perf_counter() - t0) * 1000
    print(f"\n{size} bytes: refused by the decoder in {decode_ms:.3f} ms, batch with the letter stored in "
          f"{apply_ms:.1f} ms")
    (letter,) = letters(engine)
    assert letter.reason == "too_large" and letter.event_id is None
    assert len(letter.raw) == RAW_KEEP and letter.raw == bomb[:RAW_KEEP] and letter.raw_size == size
    assert f"kept the first {RAW_KEEP} of {size} bytes" in letter.detail
    assert "AFTER-BOMB" in stored_cases(engine)


def test_size_limit_is_a_setting(engine: Engine) -> None:
    small = Applier(engine, clock=lambda: NOW, limits=FeedLimits(max_bytes=300))
    big = register("BIG-TITLE", 3, title="长" * 150)  # valid, ~700 bytes
    small.apply([raw(big), raw(register("SMALL", 4))])
    assert [x.reason for x in letters(engine)] == ["too_large"]
    assert stored_cases(engine) == {"SMALL"}


@pytest.mark.parametrize("bomb", [
    b"[" * 1_000_000,
    b'{"a":' * 150_000 + b"1" + b"}" * 150_000,
    json.dumps(register("DEEP", 5)).encode().replace(b'"title": "', b'"note": ' + b"[" * 500_000 + b', "title": "'),
], ids=["arrays", "objects", "inside-a-valid-message"])
def test_nesting_bombs_never_reach_the_parser(bomb: bytes) -> None:
    t0 = time.perf_counter()
    with pytest.raises(ContractError) as info:
        parse_event(bomb)
    took = time.perf_counter() - t0
    print(f"\n{len(bomb)} bytes nested: refused in {took * 1000:.1f} ms")
    assert info.value.reason == "too_deep", info.value.detail
    assert took < 2.0


def test_brackets_and_words_inside_strings_are_text() -> None:
    message = register("TEXT", 6, title="[" * 150 + "NaN Infinity \\u0000", note="{" * 900 + '\\"' + "]" * 900)
    event = parse_event(json.dumps(message).encode())
    assert event.data.title.startswith("[[[") and "NaN Infinity \\u0000" in event.data.title
    assert MAX_DEPTH < 150


# ---- time bounds ---------------------------------------------------------------------------------------

def test_time_bounds_are_settings(engine: Engine) -> None:
    strict = Applier(engine, clock=lambda: NOW,
                     limits=FeedLimits(max_future=timedelta(0), max_age=timedelta(hours=2)))
    at = lambda delta: (NOW + delta).isoformat()  # noqa: E731
    strict.apply([raw({**register("FUT", 7), "at": at(timedelta(seconds=1))}),
                  raw({**register("OLD", 8), "at": at(-timedelta(hours=3))}),
                  raw({**register("OK", 9), "at": at(-timedelta(hours=1))})])
    assert sorted(x.reason for x in letters(engine)) == ["future_timestamp", "past_timestamp"]
    assert stored_cases(engine) == {"OK"}


# ---- the dead-letter table -----------------------------------------------------------------------------

def test_dead_letter_table_is_bounded_oldest_pruned_and_counted(engine: Engine) -> None:
    a = Applier(engine, clock=lambda: NOW, dead_letter_max=5)
    for batch in range(3):
        junk = [RawMessage(CHANNEL, f"junk {batch}-{i}".encode()) for i in range(4)]
        a.apply([*junk, raw(register(f"K{batch}", 10 + batch))])
    kept = letters(engine)
    assert [x.raw for x in kept] == [b"junk 1-3", b"junk 2-0", b"junk 2-1", b"junk 2-2", b"junk 2-3"]
    summary = deadletters.summary(engine)
    assert summary["dead_letters"] == {"kept": 5, "pruned": 7, "replayed": 0}
    assert summary["rejected_by_reason"] == {"not_json": 12}, "counts by reason outlive pruning"
    assert stored_cases(engine) == {"K0", "K1", "K2"}


def test_the_same_bytes_again_update_one_letter(applier: Applier, engine: Engine) -> None:
    junk = RawMessage(CHANNEL, b"<html>502 Bad Gateway</html>")
    bad = raw(register("UNKNOWN-TOWN", 20, township="000000000"))
    applier.apply([junk, junk, bad])
    applier.apply([junk, bad])
    first, second = letters(engine)
    assert (first.reason, first.attempts, first.event_id) == ("not_json", 3, None)
    assert (second.reason, second.attempts, second.event_id) == ("unknown_place", 2, "good-UNKNOWN-TOWN-20")
    assert deadletters.summary(engine)["rejected_by_reason"] == {"not_json": 3, "unknown_place": 2}


# ---- generated hostile messages ------------------------------------------------------------------------

JSON_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
TEMPLATE = register("TEMPLATE", 1, parties=[{"name": "张*", "phone": "138****5678"}], village="439901100001")
PATHS = [("v",), ("id",), ("source",), ("seq",), ("type",), ("at",), ("data",), ("data", "case_no"),
         ("data", "title"), ("data", "category"), ("data", "township"), ("data", "village"), ("data", "lat"),
         ("data", "lon"), ("data", "urgent"), ("data", "people_involved"), ("data", "parties"),
         ("data", "parties", 0, "name"), ("data", "source_channel"), ("data", "new_field")]


def _set(message: Any, path: tuple[Any, ...], value: Any, delete: bool) -> None:
    """Replace (or delete) the value at a path, when an earlier mutation left the path there."""
    target = message
    for key in path[:-1]:
        in_dict = isinstance(target, dict) and key in target
        in_list = isinstance(target, list) and isinstance(key, int) and 0 <= key < len(target)
        if in_dict or in_list:
            target = target[key]
        else:
            return
    if isinstance(target, dict):
        if delete:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid message with a few fields replaced by anything JSON can carry (NaN and Infinity included)."""
    message = json.loads(json.dumps(TEMPLATE))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        _set(message, path, draw(JSON_VALUES | st.text()), draw(st.booleans()))
    return json.dumps(message, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def spliced(draw: st.DrawFn) -> bytes:
    """A valid message's bytes cut, spliced with random bytes or brackets."""
    data = json.dumps(TEMPLATE, ensure_ascii=False).encode()
    cut = draw(st.integers(0, len(data)))
    insert = draw(st.binary(max_size=20) | st.sampled_from([b"[" * 40, b"NaN", b"\\u0000", b"\xff", b'"']))
    return data[:cut] + insert + data[cut + draw(st.integers(0, 5)):]


HOSTILE = (st.binary(max_size=200) | JSON_VALUES.map(lambda v: json.dumps(v).encode()) | mutated() | spliced())


@given(HOSTILE)
@settings(max_examples=400)
def test_the_decoder_only_ever_raises_a_documented_rejection(message: bytes) -> None:
    try:
        event = parse_event(message)
        check_times(event, NOW, FeedLimits())
    except ContractError as exc:
        assert exc.reason in REASONS and exc.detail


@pytest.fixture
def generated_applier(engine: Engine) -> Iterator[Applier]:
    a = Applier(engine, clock=lambda: NOW)
    a.apply([raw(register(BASE, 1))])
    yield a


COUNTER = iter(range(10**9))


@given(st.lists(HOSTILE, min_size=1, max_size=6))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_hostile_batches_never_stop_the_good_stream(generated_applier: Applier, engine: Engine,
                                                               hostile: list[bytes]) -> None:
    n = next(COUNTER)
    before, good = register(f"PRE-{n}", 2 * n + 100), register(f"POST-{n}", 2 * n + 101)
    with engine.connect() as conn:
        seen_before = {k: v for k, v in deadletters.read_counters(conn).items() if k.startswith("rejected.")}
    generated_applier.apply([raw(before), *(RawMessage(CHANNEL, h) for h in hostile), raw(good)])
    cases = stored_cases(engine)
    assert {f"PRE-{n}", f"POST-{n}"} <= cases, "good messages around hostile ones land"
    with engine.connect() as conn:
        seen = {k: v for k, v in deadletters.read_counters(conn).items() if k.startswith("rejected.")}
        kept = conn.execute(select(func.count()).select_from(DeadLetter)).scalar()
    reasons = {k.removeprefix("rejected.") for k, v in seen.items() if v != seen_before.get(k)}
    assert reasons <= set(REASONS) - {"store_error"}, "every refusal has a documented reason, none from the store"
    assert kept is not None and kept <= 10_000
