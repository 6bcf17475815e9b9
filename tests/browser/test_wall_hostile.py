"""Hostile text on the wall: HTML and script in every text field are stored as text and shown inert."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from datafeeds.models import Alert, Case
from datafeeds.publisher import Publisher

pytestmark = pytest.mark.browser

IMG = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1;alert(1)">'
SCRIPT = "<script>window.__pwned=(window.__pwned||0)+1;alert(2)</script>"
SVG = '<svg onload="window.__pwned=(window.__pwned||0)+1">'
SQL = "'); DROP TABLE cases;--"
# A party's name is masked wherever it appears on the wall, so it differs from the text the alert carries.
PARTY = "<b onmouseover=alert(3)>张三</b>"


def test_html_and_script_in_feed_text_show_as_text(stack: Any, browser: Browser, rclient: Any, county: Any) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(stack.wall_url())
    expect(page.locator("#wall-c-today_registered")).to_have_text("0", timeout=15_000)
    title_before = page.title()

    town = county.townships()[2]
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="hostile")
    pub.publish("case.registered", {
        "case_no": "XSS-1", "title": f"{IMG}{SCRIPT}", "description": f"{SVG}{SQL}", "address": IMG, "note": SCRIPT,
        "category": "02", "source_channel": "grid", "township": town.code, "lat": town.lat, "lon": town.lon,
        "group": True, "people_involved": 30,
        "parties": [{"name": PARTY, "address": SCRIPT, "phone": "<svg onload=x>", "id_number": "<b>1</b>"}],
    })
    alert_title = f"{IMG} {SCRIPT} {SVG}"
    pub.publish("alert.raised", {"alert_id": "XSS-A", "level": "group", "title": alert_title, "township": town.code,
                                 "case_no": "XSS-1"})

    # Where the wall shows feed text (the alert across the map), it shows it literally.
    overlay = page.locator("#wall-alert-overlay")
    expect(overlay).to_contain_text(IMG, timeout=10_000)
    expect(overlay).to_contain_text(SCRIPT)
    expect(overlay).to_contain_text(SVG)
    expect(page.locator("#wall-c-today_registered")).to_have_text("1", timeout=10_000)
    expect(page.locator('path[data-case="XSS-1"]')).to_be_attached(timeout=10_000)
    expect(page.locator('#wall-warnings li[data-case="XSS-1"]')).to_be_attached(timeout=10_000)
    # No element came out of the text, nothing ran.
    assert overlay.evaluate("el => el.children.length") == 0
    assert page.locator('img[src="x"], svg[onload], script:text("__pwned")').count() == 0
    page.wait_for_timeout(500)  # an onerror or onload would have fired by now
    assert page.evaluate("window.__pwned") is None
    assert dialogs == [] and errors == [] and page.title() == title_before

    # And the store holds the text as it was sent.
    with Session(stack.ingest.applier.engine) as conn:
        case = conn.execute(select(Case).where(Case.case_no == "XSS-1")).scalars().one()
        alert = conn.execute(select(Alert).where(Alert.alert_id == "XSS-A")).scalars().one()
    assert (case.title, case.description, case.address) == (f"{IMG}{SCRIPT}", f"{SVG}{SQL}", IMG)
    assert case.parties[0]["name"] == PARTY and alert.title == alert_title
    page.close()
