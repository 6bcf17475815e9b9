"""The JSON endpoints against a running web server and ingest."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from datafeeds.publisher import Publisher

from wallaccess import wall_client, wall_open


def _get(url: str) -> tuple[int, dict]:
    try:
        with wall_open(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_healthz_and_snapshot_follow_the_feed(stack, rclient, county, wait_for) -> None:
    status, body = _get(f"{stack.url}/healthz")
    assert status == 200 and body["ingest_alive"] is True and body["last_seq"] == 0
    town = county.townships()[0]
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="api-test")
    pub.publish("case.registered", {"case_no": "H-1", "title": "物业纠纷", "category": "0402",
                                    "source_channel": "hotline_12345", "township": town.code,
                                    "lat": town.lat, "lon": town.lon})
    rclient.publish(f"{stack.settings.feed_prefix}:feed:cases", b"{not json")
    stack.wait_seq(1)
    _, body = _get(f"{stack.url}/healthz")
    assert (body["last_seq"], body["accepted"]) == (1, 1)
    assert body["last_event_at"] is not None

    def rejected() -> int:
        return _get(f"{stack.url}/healthz")[1]["rejected"]

    wait_for(lambda: rejected() == 1)
    _, snap = _get(f"{stack.url}/api/snapshot?names=1&lang=en")
    assert snap["seq"] == 1
    assert snap["counters"]["today_registered"] == 1 and snap["counters"]["open"] == 1
    assert [p["case_no"] for p in snap["pins"]] == ["H-1"]
    assert snap["ticker"][0]["type"] == "case.registered"
    assert snap["names"]["places"][town.code] == town.name_en
    assert snap["names"]["categories"]["0402"]


def test_healthz_says_degraded_when_the_ingest_is_gone(app) -> None:
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["ingest_alive"] is False


def test_wall_page_and_assets_come_from_the_app(app) -> None:
    client = wall_client(app)
    page = client.get("/wall")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for asset in ("wall.css", "zhongshu-live.js", "zhongshu-socket.js", "zhongshu-map.js"):
        assert asset in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_a_wall_catches_up_on_the_deltas_it_missed(stack, rclient, county, wait_for) -> None:
    town = county.townships()[2]
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="catchup-test")
    for n in range(3):
        pub.publish("case.registered", {"case_no": f"C-{n}", "title": "邻里纠纷", "category": "02",
                                        "source_channel": "grid", "township": town.code,
                                        "lat": town.lat, "lon": town.lon})
        stack.wait_seq(n + 1)
    wait_for(lambda: _get(f"{stack.url}/api/deltas?after=1")[0] == 200)  # logged once pushed
    _status, body = _get(f"{stack.url}/api/deltas?after=1")
    assert body["after"] == 1 and body["seq"] == 3
    assert body["merged"] >= 2  # the pushes of seq 2 and 3 (and of 1: it ends at the wall's seq), as one delta
    [delta] = body["deltas"]
    assert delta["prev"] <= 1 and delta["seq"] == 3
    assert {"C-1", "C-2"} <= {p["case_no"] for p in delta["pins"]["upsert"]}
    assert delta["counters"]["open"] == 3
    assert [r["case_no"] for r in delta["ticker"]][-2:] == ["C-1", "C-2"]
    assert "sources" in body and "last_heartbeat_at" in body
    assert _get(f"{stack.url}/api/deltas?after=-1")[0] == 400
    assert _get(f"{stack.url}/api/deltas?after=x")[0] == 400
    assert _get(f"{stack.url}/api/deltas?after=99") == (410, {"gone": "ahead", "seq": 3})
    # the log lost its start (trimmed, or Redis restarted empty): the wall is told to take a snapshot
    rclient.delete(f"{stack.settings.feed_prefix}:wall:deltas")
    assert _get(f"{stack.url}/api/deltas?after=1") == (410, {"gone": "behind", "seq": 3})
    metrics = urllib.request.urlopen(f"{stack.url}/metrics", timeout=5).read().decode()
    assert 'zhongshu_catchup_requests_total{outcome="served"} 2.0' in metrics  # the wait above, and the read
    assert 'zhongshu_catchup_requests_total{outcome="ahead"} 1.0' in metrics
