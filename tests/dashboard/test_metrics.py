"""/metrics and /healthz against a running web server and ingest: real Redis, real database, real clients."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
import socketio
from prometheus_client.parser import text_string_to_metric_families

from dashboard.app import create_app
from datafeeds.contract import Channel, channel_name, dumps
from datafeeds.metrics import metrics_key
from datafeeds.publisher import Publisher

from wallaccess import wall_client, wall_cookie

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _parse(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _scrape(base: str) -> Samples:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return _parse(response.read().decode())


def _value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def _get_json(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_metrics_count_events_by_reason_through_the_stack(make_stack, settings, rclient, county, wait_for) -> None:
    stack = make_stack(settings.model_copy(update={"metrics_seconds": 0.1}))
    prefix = stack.settings.feed_prefix
    cases = channel_name(prefix, Channel.CASES)
    pub = Publisher(rclient, prefix=prefix, source="metrics-test")
    town = county.townships()[0]

    def registered(case_no: str, township: str, id: str | None = None) -> str:
        return dumps(pub.event("case.registered", {
            "case_no": case_no, "title": "物业纠纷", "category": "0402", "source_channel": "hotline_12345",
            "township": township, "lat": town.lat, "lon": town.lon}, id=id))

    twice = registered("M-2", town.code, id="metrics-dup-1")
    messages: list[str | bytes] = [
        registered("M-1", town.code),
        twice,
        twice,  # the same id again: ignored once and counted
        b"{not json",
        registered("M-3", "999999999"),  # no such township
        dumps(pub.event("case.signed", {"case_no": "NO-SUCH-CASE", "department": "x"})),
    ]
    for raw in messages:  # PUBLISH only, so every message reaches the ingest exactly once
        rclient.publish(cases, raw)

    def settled() -> Samples | None:
        # the ingest counts inside a batch and times it after: wait for both
        s = _scrape(stack.url)
        rejected = sum(v for (name, _), v in s.items() if name == "zhongshu_events_rejected_total")
        done = (_value(s, "zhongshu_events_accepted_total"), _value(s, "zhongshu_events_duplicate_total"), rejected,
                _value(s, "zhongshu_ingest_batch_size_sum"))
        return s if done == (2, 1, 3, len(messages)) else None

    s = wait_for(settled)
    assert _value(s, "zhongshu_events_rejected_total", reason="not_json") == 1
    assert _value(s, "zhongshu_events_rejected_total", reason="unknown_place") == 1
    assert _value(s, "zhongshu_events_rejected_total", reason="unknown_case") == 1
    # the store's view: dead letters held by reason, the global seq, an alive ingest
    assert _value(s, "zhongshu_dead_letters", reason="not_json") == 1
    assert _value(s, "zhongshu_dead_letters", reason="unknown_place") == 1
    assert _value(s, "zhongshu_ingest_seq") == 2
    assert _value(s, "zhongshu_ingest_up") == 1
    assert _value(s, "zhongshu_store_up") == 1 and _value(s, "zhongshu_redis_up") == 1
    lag = _value(s, "zhongshu_ingest_lag_seconds")
    assert lag is not None and lag >= 0
    # every message went through exactly one applied batch
    batches = _value(s, "zhongshu_ingest_batch_size_count")
    assert batches is not None and 1 <= batches <= len(messages)
    assert _value(s, "zhongshu_ingest_batch_size_bucket", le="+Inf") == batches
    assert _value(s, "zhongshu_ingest_apply_seconds_count") == batches
    assert (_value(s, "zhongshu_ingest_apply_seconds_sum") or 0) > 0
    assert _value(s, "zhongshu_delta_emit_errors_total") == 0
    assert _value(s, "zhongshu_ingest_queue_depth") == 0
    assert _value(s, "zhongshu_subscriber_reconnects_total") == 0
    age = _value(s, "zhongshu_ingest_metrics_age_seconds")
    assert age is not None and age >= 0
    assert (_value(s, "zhongshu_ingest_process_resident_memory_bytes") or 0) > 0  # the ingest's own figures
    wait_for(lambda: (_value(_scrape(stack.url), "zhongshu_deltas_emitted_total") or 0) >= 1)
    # /healthz agrees with the metrics
    status, body = _get_json(f"{stack.url}/healthz")
    assert status == 200 and body["status"] == "ok" and body["store_ok"] is True
    assert (body["accepted"], body["rejected"], body["duplicates"]) == (2, 3, 1)


def test_wall_clients_are_counted_by_view(stack, wait_for) -> None:
    def wall_clients() -> float | None:
        return _value(_scrape(stack.url), "zhongshu_socketio_clients", view="wall")

    assert wall_clients() == 0
    client = socketio.Client(reconnection=False)
    client.connect(stack.url, auth={"view": "wall"}, transports=["polling"], wait_timeout=5,
                   headers={"Cookie": wall_cookie(stack.url)})
    try:
        wait_for(lambda: wall_clients() == 1)
        assert _value(_scrape(stack.url), "zhongshu_socketio_connects_total", view="wall") == 1
        intruder = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            intruder.connect(stack.url, auth={"view": "desk-of-nobody"}, transports=["polling"], wait_timeout=5,
                             headers={"Cookie": wall_cookie(stack.url)})
        assert wall_clients() == 1
    finally:
        client.disconnect()
    wait_for(lambda: wall_clients() == 0)


def test_snapshot_requests_are_counted_by_why(app) -> None:
    client = wall_client(app)
    for why in ("connect", "gap", "gap", "<script>", None):
        url = "/api/snapshot" if why is None else f"/api/snapshot?why={why}"
        assert client.get(url).status_code == 200
    s = _parse(client.get("/metrics").get_data(as_text=True))
    counts = {w: _value(s, "zhongshu_snapshot_requests_total", why=w) for w in ("connect", "gap", "status", "other",
                                                                               "none")}
    assert counts == {"connect": 1, "gap": 2, "status": 0, "other": 1, "none": 1}


def test_metrics_without_an_ingest(app, rclient, settings) -> None:
    s = _parse(app.test_client().get("/metrics").get_data(as_text=True))
    assert _value(s, "zhongshu_ingest_up") == 0 and _value(s, "zhongshu_store_up") == 1
    assert rclient.exists(metrics_key(settings.feed_prefix)) == 0
    assert _value(s, "zhongshu_ingest_metrics_age_seconds") is None
    assert not any(name.startswith("zhongshu_events_") for name, _ in s)
    assert _value(s, "zhongshu_ingest_lag_seconds") is None  # no event yet: no lag to speak of


def test_healthz_is_503_when_the_store_does_not_answer(settings) -> None:
    # A PostgreSQL nobody listens for: the web process cannot read the store, so it cannot serve a snapshot.
    broken = settings.model_copy(update={"database_url": "postgresql://nobody@127.0.0.1:9/none"})
    app = create_app(broken)
    try:
        client = app.test_client()
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "unavailable" and body["store_ok"] is False and body["ingest_alive"] is False
        assert set(body) == {"status", "store_ok", "ingest_alive", "ingest_alive_at", "last_event_at",
                             "last_heartbeat_at", "last_seq", "accepted", "rejected", "duplicates",
                             "rejected_by_reason", "dead_letters", "outside_county", "sources"}
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        s = _parse(metrics.get_data(as_text=True))
        assert _value(s, "zhongshu_store_up") == 0 and _value(s, "zhongshu_ingest_up") is None
    finally:
        app.extensions["zhongshu"].engine.dispose()
