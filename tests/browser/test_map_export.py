"""The open-cases map a leader exports: one HTML file that draws with the network blocked, masked and inert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from dashboard import accounts
from datafeeds.publisher import Publisher

from wallaccess import sign_in_page

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-9"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>${window.__pwned=3}`'


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the file is the subject, not the store
def test_the_exported_map_draws_offline_masked_and_inert(stack, browser: Browser, rclient, county,
                                                        tmp_path: Path) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "lin.leader", "leader", PASSWORD)
    town = county.townships()[0]
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="export-test")
    pub.publish("case.registered", {
        "case_no": "M-1", "title": f"赵建国与邻居纠纷，电话13812345678 {HOSTILE}", "category": "02",
        "source_channel": "grid", "township": town.code, "lat": town.lat, "lon": town.lon,
        "parties": [{"name": "赵建国", "phone": "13812345678"}]})
    pub.publish("case.registered", {
        "case_no": "M-2", "title": "物业纠纷", "category": "0402", "source_channel": "hotline_12345",
        "township": town.code, "lat": town.lat + 0.01, "lon": town.lon + 0.01})
    stack.wait_seq(2)

    page = sign_in_page(browser, stack.url, "lin.leader", PASSWORD, "/")
    with page.expect_download() as info:
        page.locator("#zs-export-map").click()
    target = tmp_path / "map.html"
    info.value.save_as(target)
    text = target.read_text(encoding="utf-8")
    for secret in ("赵建国", "13812345678"):
        assert secret not in text, secret
    [row] = accounts.read_audit(engine, action="export")
    assert (row.actor, row.role, row.target) == ("lin.leader", "leader", "open-cases-map.html")

    # Open the file with the network gone: every request is recorded, and the CSP in the file forbids any.
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    offline = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    offline.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    offline.on("pageerror", lambda exc: errors.append(str(exc)))
    offline.goto(target.as_uri())
    townships = len(county.townships())
    expect(offline.locator("path.leaflet-interactive")).to_have_count(townships + 2, timeout=10_000)
    expect(offline.locator(".zs-map-title")).to_contain_text("示范县 · 在办案件分布图")
    expect(offline.locator(".zs-map-title")).to_contain_text("· 2")
    # the case markers are the last two paths; open the hostile one's popup
    marker: Any = offline.locator("path.leaflet-interactive").nth(townships)
    marker.click(force=True)
    popup = offline.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("M-1 赵*国与邻居纠纷，电话138****5678")
    expect(popup).to_contain_text(HOSTILE)  # the markup is text
    assert popup.evaluate("el => el.querySelectorAll('img, script').length") == 0
    offline.wait_for_timeout(300)
    assert offline.evaluate("() => window.__pwned") is None
    assert [u for u in requests if not u.startswith("file:")] == []
    assert dialogs == [] and errors == []
    context.close()
