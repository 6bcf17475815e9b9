"""A case at the desk: masked by default, shown in full only with a reason, every view and unmask audited."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard import accounts
from datafeeds.publisher import Publisher

from wallaccess import sign_in_page

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-9"
SCRIPT = "<script>window.__pwned=(window.__pwned||0)+1</script>"
IMG = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1">'


def _sign_in(browser: Browser, base: str, name: str, errors: list[str], next_path: str) -> Page:
    return sign_in_page(browser, base, name, PASSWORD, next_path, errors)


def _publish_case(stack: Any, rclient: Any, county: Any) -> dict[str, str]:
    town = county.townships()[1]
    village = county.villages(town.code)[0]
    address = f"{town.name}{village.name}3组17号"
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="privacy-test")
    pub.publish("case.registered", {
        "case_no": "P-1", "title": f"张伟明与李娜宅基地纠纷{SCRIPT}", "category": "0902",
        "description": f"张伟明（电话13812345678）称邻居李娜占用宅基地{IMG}", "source_channel": "walk_in",
        "township": town.code, "village": village.code, "address": address, "lat": village.lat, "lon": village.lon,
        "parties": [
            {"role": "applicant", "name": "张伟明", "phone": "13812345678", "id_number": "110101199003071234",
             "sex": "M", "address": address},
            {"role": "respondent", "name": "李娜", "phone": "139-8765-4321", "id_number": "11010119851231002X",
             "sex": "F", "address": address},
        ],
    })
    stack.wait_seq(1)
    return {"address": address, "village_address": f"{town.name}{village.name}"}


def test_a_case_is_masked_until_an_officer_gives_a_reason(stack, browser: Browser, rclient, county) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "zhou.officer", "officer", PASSWORD)
    accounts.add_user(engine, "chen.admin", "admin", PASSWORD)
    place = _publish_case(stack, rclient, county)
    errors: list[str] = []
    page = _sign_in(browser, stack.url, "zhou.officer", errors, "/desk/case/P-1")

    # Masked: names, phones, ID numbers, the address down to the village, and the names inside free text.
    parties = page.locator("#case-parties")
    expect(parties).to_contain_text("张*明", timeout=10_000)
    for shown in ("李*", "138****5678", "139****4321", "1101**********1234", "1101**********002X"):
        expect(parties).to_contain_text(shown)
    expect(page.locator("#case-address")).to_have_text(place["village_address"])
    expect(page.locator("#case-title")).to_contain_text("张*明与李*宅基地纠纷")
    expect(page.locator("#case-description")).to_contain_text("张*明（电话138****5678）")
    body = page.content()
    for secret in ("张伟明", "13812345678", "110101199003071234", "3组17号", "李娜"):
        assert secret not in body, secret

    # No reason, no unmask.
    page.get_by_role("button", name="显示完整信息").click()
    expect(page.locator("#case-unmask-message")).to_have_text("请填写查看原因（至少 4 个字）。")
    assert "张伟明" not in page.content()
    page.get_by_label("查看原因").fill("核实当事人身份，准备电话回访")
    page.get_by_role("button", name="显示完整信息").click()
    expect(parties).to_contain_text("张伟明")
    for shown in ("13812345678", "110101199003071234", "李娜", "11010119851231002X"):
        expect(parties).to_contain_text(shown)
    expect(page.locator("#case-address")).to_have_text(place["address"])
    expect(page.locator("#case-unmask-message")).to_contain_text("核实当事人身份，准备电话回访")

    # Script and markup from the feed are text on the desk, masked or not: nothing was created, nothing ran.
    expect(page.locator("#case-description")).to_contain_text(IMG)
    expect(page.locator("#case-title")).to_contain_text(SCRIPT)
    assert page.locator('#case-root img, #case-root script').count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None

    # The audit log has the view and the unmask: who, what, why, from where.
    unmask = accounts.read_audit(engine, action="case.unmask")
    assert [(r.actor, r.role, r.target, r.reason, r.source_ip) for r in unmask] == [
        ("zhou.officer", "officer", "P-1", "核实当事人身份，准备电话回访", "127.0.0.1")]
    assert [(r.actor, r.target) for r in accounts.read_audit(engine, action="case.view")] == [("zhou.officer", "P-1")]

    # An admin reads it at /desk/audit; an officer may not.
    assert page.goto(f"{stack.url}/desk/audit").status == 403
    expect(page.locator(".zs-signin-message")).to_have_text("您没有查看此页面的权限。")
    admin = _sign_in(browser, stack.url, "chen.admin", errors, "/desk/audit")
    expect(admin.locator("h1")).to_have_text("审计日志")
    row = admin.locator("tr.zs-audit-case\\.unmask")
    expect(row).to_contain_text("zhou.officer")
    expect(row).to_contain_text("核实当事人身份，准备电话回访")
    expect(row).to_contain_text("P-1")
    admin.get_by_placeholder("按操作人筛选").fill("chen")
    admin.get_by_placeholder("按操作人筛选").press("Enter")
    expect(admin.locator("tr.zs-audit-auth\\.ok")).to_have_count(1)
    expect(admin.locator("tr.zs-audit-case\\.unmask")).to_have_count(0)
    assert page.evaluate("window.__csp") == [] and admin.evaluate("window.__csp") == []
    assert errors == []


def test_the_wall_never_shows_the_parties(stack, browser: Browser, rclient, county) -> None:
    _publish_case(stack, rclient, county)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(stack.wall_url())
    expect(page.locator("#wall-c-today_registered")).to_have_text("1", timeout=15_000)
    page.wait_for_function("() => zhongshu.live.seq === 1", timeout=10_000)
    snapshot = page.evaluate("() => fetch('/api/snapshot').then(r => r.text())")
    for secret in ("张伟明", "13812345678", "110101199003071234", "3组17号", "李娜"):
        assert secret not in page.content() and secret not in snapshot, secret
    # and the wall may not open the desk
    assert page.goto(f"{stack.url}/desk/case/P-1").status == 403
    expect(page.locator(".zs-signin-message")).to_have_text("您没有查看此页面的权限。")
