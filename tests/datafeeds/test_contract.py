"""The feed contract: round trip of every type, clear rejections, schema and docs in sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datafeeds.contract import ALL_EVENTS, ContractError, dumps, event_json_schema, parse_event
from datafeeds.contractdocs import example_events, render_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_examples_cover_every_event_type() -> None:
    assert {e["type"] for e in example_events()} == set(ALL_EVENTS)


@pytest.mark.parametrize("message", example_events(), ids=lambda m: f"{m['type']}-{m['seq']}")
def test_round_trip(message: dict) -> None:
    event = parse_event(json.dumps(message, ensure_ascii=False).encode())
    assert json.loads(dumps(event)) == message
    assert parse_event(dumps(event)) == event


def _valid() -> dict:
    return example_events()[0]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda m: m.update(v=2), "bad_version"),
        (lambda m: m.update(type="case.exploded"), "unknown_type"),
        (lambda m: m.pop("id"), "missing_field"),
        (lambda m: m["data"].pop("case_no"), "missing_field"),
        (lambda m: m["data"].update(colour="red"), "unknown_field"),
        (lambda m: m["data"].update(lat=91.0), "off_globe"),
        (lambda m: m["data"].update(people_involved="many"), "wrong_type"),
        (lambda m: m.update(at="2026-11-26T09:00:00"), "invalid_value"),
    ],
)
def test_invalid_messages_have_a_reason(mutate, reason: str) -> None:
    message = _valid()
    mutate(message)
    with pytest.raises(ContractError) as info:
        parse_event(json.dumps(message))
    assert info.value.reason == reason
    assert info.value.detail


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"\xff\xfe", "bad_utf8"), (b"not json", "not_json"), (b"[1, 2]", "not_object"),
     (json.dumps(_valid()).replace("27.8123", "NaN").encode(), "not_finite")],
)
def test_undecodable_messages_have_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as info:
        parse_event(raw)
    assert info.value.reason == reason


def test_published_schema_and_docs_are_current() -> None:
    on_disk = json.loads((DOCS / "feed-schema.json").read_text(encoding="utf-8"))
    assert on_disk == event_json_schema(), "run `zhongshu schema` to regenerate docs/"
    assert (DOCS / "feed-contract.md").read_text(encoding="utf-8") == render_markdown()


def test_schema_names_every_type() -> None:
    text = json.dumps(event_json_schema())
    for type_ in ALL_EVENTS:
        assert f'"{type_}"' in text
