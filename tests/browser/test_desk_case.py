"""One case at the desk, made whole: its header, timeline, assignments, map and related cases; and the timeline
growing without a reload when the feed brings the case a new event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from dashboard import accounts
from datafeeds.publisher import Publisher

from wallaccess import sign_in_page

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-9"


def _publish(stack: Any, rclient: Any, county: Any) -> tuple[Publisher, dict[str, Any]]:
    town = county.townships()[1]
    village = county.villages(town.code)[0]
    department = county.departments[0]
    address = f"{town.name}{village.name}5组8号"
    now = datetime.now(UTC)
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="desk-case-test")
    base = {"category": "0902", "source_channel": "walk_in", "township": town.code, "village": village.code,
            "address": address, "lat": village.lat, "lon": village.lon}
    pub.publish("case.registered", {
        **base, "case_no": "K-0", "title": "王建国反映宅基地界址不清",
        "parties": [{"role": "applicant", "name": "王建国", "phone": "13712345678"}]}, at=now - timedelta(days=3))
    pub.publish("case.registered", {
        **base, "case_no": "K-1", "title": "王建国与赵敏宅基地纠纷",
        "parties": [{"role": "applicant", "name": "王建国", "phone": "137-1234-5678"},
                    {"role": "respondent", "name": "赵敏", "phone": "13698765432"}]}, at=now - timedelta(hours=5))
    pub.publish("case.assigned", {"case_no": "K-1", "department": department.code,
                                  "sign_due": (now + timedelta(days=1)).isoformat(),
                                  "resolve_due": (now + timedelta(days=20)).isoformat()}, at=now - timedelta(hours=4))
    stack.wait_seq(3)
    return pub, {"department": department.name, "now": now}


def test_a_case_shows_whole_and_its_timeline_grows_live(stack, browser: Browser, rclient, county) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "li.officer", "officer", PASSWORD)
    pub, seeded = _publish(stack, rclient, county)
    errors: list[str] = []
    page = sign_in_page(browser, stack.url, "li.officer", PASSWORD, "/desk/case/K-1", errors)

    # Header: state, risk, the countdown to the resolve deadline, supervision by name. (Twenty days to go: far
    # from 临期 even across the longest holiday.)
    expect(page.locator("#case-title")).to_contain_text("王*国与赵*宅基地纠纷", timeout=10_000)
    expect(page.locator("#case-state")).to_have_text("已交办·待签收")
    expect(page.locator("#case-risk")).to_have_text("正常")
    expect(page.locator("#case-countdown")).to_contain_text("剩余19天23小时")
    expect(page.locator("#case-supervision")).to_have_text("无")

    # Timeline: registration and assignment, with the department and the time between them.
    steps = page.locator("#case-timeline tr.zs-case-step")
    expect(steps).to_have_count(2)
    expect(steps.nth(1)).to_contain_text("已交办")
    expect(steps.nth(1)).to_contain_text(seeded["department"])
    expect(steps.nth(1)).to_contain_text("1小时0分")
    expect(steps.nth(1)).to_contain_text("当前状态已持续")

    # Assignments: awaiting sign-for, its clock running.
    assignment = page.locator("#case-assignments tr.zs-case-assignment")
    expect(assignment).to_have_count(1)
    expect(assignment).to_contain_text(seeded["department"])
    expect(assignment).to_contain_text("待签收")
    expect(assignment.locator(".zs-clock-left")).to_have_count(2)

    # Related: the earlier case at the same address and with the same applicant's phone, its title masked.
    related = page.locator("#case-related tr.zs-case-related-row")
    expect(related).to_have_count(1)
    expect(related).to_contain_text("K-0")
    expect(related).to_contain_text("同一地址")
    expect(related).to_contain_text("同一当事人")
    expect(related).to_contain_text("王*国反映宅基地界址不清")

    # The map: the village's outline and the case's marker, drawn without any tile.
    expect(page.locator("#case-map path")).to_have_count(2)
    expect(page.locator("#case-map .leaflet-tile")).to_have_count(0)
    for secret in ("王建国", "13712345678", "赵敏", "5组8号"):
        assert secret not in page.content(), secret

    # Unmasked with a reason: the live refresh must leave that as it is.
    page.get_by_label("查看原因").fill("核实当事人联系方式")
    page.get_by_role("button", name="显示完整信息").click()
    expect(page.locator("#case-parties")).to_contain_text("王建国")

    # A new event for this case, through the feed: the timeline grows, with no reload of the page.
    page.evaluate("() => { window.__kept = 'same page'; }")
    pub.publish("case.signed", {"case_no": "K-1", "department": county.departments[0].code,
                                "note": "已签收，安排调解<b>员</b>"})
    stack.wait_seq(4)
    expect(steps).to_have_count(3, timeout=15_000)
    expect(steps.nth(2)).to_contain_text("已签收")
    expect(steps.nth(2)).to_contain_text("已签收，安排调解<b>员</b>")  # a note is text, never markup
    expect(page.locator("#case-state")).to_have_text("已签收")
    expect(assignment).to_contain_text("按期")
    assert page.evaluate("() => window.__kept") == "same page"
    expect(page.locator("#case-parties")).to_contain_text("王建国")
    assert page.locator("#case-root b").count() == 0

    pub.publish("case.triaged", {"case_no": "K-0"})
    stack.wait_seq(5)

    # The related case opens in the same page.
    related.locator("a").click()
    expect(page).to_have_url(f"{stack.url}/desk/case/K-0")
    expect(page.locator("#case-title")).to_contain_text("K-0")
    expect(page.locator("#case-timeline tr.zs-case-step")).to_have_count(2)
    expect(page.locator("#case-related tr.zs-case-related-row")).to_contain_text("K-1")
    assert page.evaluate("() => window.__kept") == "same page"

    # In English too.
    page.goto(f"{stack.url}/desk/case/K-1?lang=en")
    expect(page.locator("#case-state")).to_have_text("signed for")
    expect(page.locator("#case-countdown")).to_contain_text("left")
    expect(page.locator("#case-related")).to_contain_text("same address")
    assert page.evaluate("window.__csp") == []
    assert errors == []
