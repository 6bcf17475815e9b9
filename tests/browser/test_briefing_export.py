"""The briefing exported as HTML, opened from disk with the network gone: its charts and its hot-spot map draw, and
not one request leaves the file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Route, expect
from sqlalchemy import Engine

from dashboard import briefingdoc
from datafeeds import queries
from datafeeds.apply import Applier, RawMessage
from datafeeds.briefing import build, period

pytestmark = pytest.mark.browser

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")  # a Thursday
MONDAY = datetime.fromisoformat("2026-11-23T00:00:00+08:00")
PER_TOWNSHIP = (4, 2, 1)  # this week's cases, each at its own village's centre


def _messages(county: Any) -> list[RawMessage]:
    out = []
    n = 0
    for town, count in zip(county.townships(), PER_TOWNSHIP, strict=False):
        for village in county.villages(town.code)[:count]:
            n += 1
            data = {"case_no": f"BX-{n}", "title": "物业纠纷", "category": "0402", "source_channel": "grid",
                    "township": town.code, "village": village.code, "lat": village.lat, "lon": village.lon}
            out.append(RawMessage("t:feed:cases", json.dumps({
                "v": 1, "id": f"bx-{n}", "source": "bx-test", "seq": n, "type": "case.registered",
                "at": (MONDAY + timedelta(hours=3 * n)).isoformat(), "data": data}, ensure_ascii=False).encode()))
    return out


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the file is the subject, not the store
def test_the_exported_html_draws_charts_and_map_with_no_request(engine: Engine, county: Any, browser: Browser,
                                                                  tmp_path: Path) -> None:
    Applier(engine, clock=lambda: NOW).apply(_messages(county))
    cases = sum(min(n, len(county.villages(t.code))) for t, n in zip(county.townships(), PER_TOWNSHIP, strict=False))
    b = build(engine, period("week", NOW, TZ), generated_at=NOW)
    target = tmp_path / "briefing.html"
    target.write_text(briefingdoc.html_document(b, queries.names(engine, "zh-CN"), queries.boundaries(engine),
                                                "zh-CN", "示范县"), encoding="utf-8")

    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))

    def refuse(route: Route) -> None:  # anything but the file itself is refused (and was recorded above)
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", refuse)
    page = context.new_page()
    complaints: list[str] = []
    page.on("pageerror", lambda exc: complaints.append(str(exc)))
    page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
    page.goto(target.as_uri())

    expect(page.locator("h1.title")).to_have_text("示范县综治中心 工作简报")
    # Five plotly charts, each drawn (plotly's own SVG), from the one inlined plotly.js.
    expect(page.locator(".js-plotly-plot")).to_have_count(5)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    for chart in page.locator(".js-plotly-plot").all():
        expect(chart.locator("svg.main-svg").first).to_be_attached()
    expect(page.locator(".js-plotly-plot .scatterlayer .trace")).to_have_count(3)  # the trend's three lines

    # The hot-spot map, in its sandboxed frame: every township's boundary, and every case as a marker or in a cluster.
    page.locator("iframe.zs-hotspot").scroll_into_view_if_needed()
    frame = page.frame_locator("iframe.zs-hotspot")
    expect(frame.locator("path.zs-township")).to_have_count(len(county.townships()))
    inner = next(f for f in page.frames if f.url == "about:srcdoc")
    inner.wait_for_function(
        "() => document.querySelectorAll('path.zs-case').length + [...document.querySelectorAll('.zs-cluster')]"
        f".reduce((n, el) => n + Number(el.textContent), 0) === {cases}")
    expect(frame.locator(".zs-map-title")).to_contain_text("2026年11月23日")

    assert [u for u in requests if not u.startswith(("file:", "data:", "about:"))] == []
    assert complaints == []
    context.close()
