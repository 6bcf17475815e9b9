"""Signing in, signing out and a revoked wall, as a person at the screen meets them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard import accounts
from dashboard.accounts_cli import ring_web
from datafeeds.publisher import Publisher

from wallaccess import CSP_WATCH, sign_in_page

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-9"


# Navigation by a click does not wait for the page's scripts: the predicate must not throw before they load.
LIVE = "() => window.zhongshu && zhongshu.live.seq !== null && zhongshu.live.socket.connected"


def _page(browser: Browser, errors: list[str]) -> Page:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.add_init_script(CSP_WATCH)
    page.on("pageerror", lambda exc: errors.append(f"{exc} {exc.stack}"))
    return page


def test_sign_in_in_chinese_then_out(stack, browser: Browser) -> None:
    accounts.add_user(stack.app.extensions["zhongshu"].engine, "li.ming", "officer", PASSWORD)
    errors: list[str] = []
    page = _page(browser, errors)
    page.goto(f"{stack.url}/wall")
    expect(page).to_have_url(f"{stack.url}/signin?next=%2Fwall")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("示范县综治中心 · 指挥中枢")
    page.get_by_label("用户名").fill("li.ming")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".zs-signin-message")).to_contain_text("用户名或密码错误")
    expect(page.get_by_label("用户名")).to_have_value("li.ming")  # kept; the password is not
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{stack.url}/wall")
    expect(page.locator("#wall-c-today_registered")).to_have_text("0", timeout=15_000)
    page.wait_for_function("() => window.zhongshu && zhongshu.live.socket.connected", timeout=10_000)
    page.goto(f"{stack.url}/")
    expect(page.locator("#zs-whoami")).to_have_text("li.ming（值班员）")
    page.locator("#zs-signout").click()
    expect(page.locator(".zs-signin-message")).to_have_text("您已退出登录。")
    page.goto(f"{stack.url}/wall")
    expect(page).to_have_url(f"{stack.url}/signin?next=%2Fwall")  # the session is gone, not just the cookie
    assert page.evaluate("window.__csp") == []
    assert errors == []


def test_a_revoked_wall_goes_dark_at_once(stack, browser: Browser, rclient, county, wait_for) -> None:
    errors: list[str] = []
    page = _page(browser, errors)
    page.goto(stack.wall_url())
    expect(page).to_have_url(f"{stack.url}/wall")  # the token left the address bar
    page.wait_for_function(LIVE, timeout=15_000)
    town = county.townships()[0]
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="revoke-test")
    pub.publish("case.registered", {"case_no": "R-1", "title": "邻里纠纷", "category": "02",
                                    "source_channel": "grid", "township": town.code, "lat": town.lat,
                                    "lon": town.lon})
    expect(page.locator("#wall-c-today_registered")).to_have_text("1", timeout=10_000)

    accounts.revoke_token(stack.app.extensions["zhongshu"].engine, "测试大屏")
    ring_web(stack.settings)
    expect(page.locator("#wall-revoked")).to_have_text("此显示屏的授权已撤销或失效，请联系管理员", timeout=5_000)
    assert page.locator("#wall-root").count() == 0  # no figure, pin or row is left on the screen
    assert page.evaluate("zhongshu.live.dark && zhongshu.live.socket.stopped") is True
    pub.publish("case.registered", {"case_no": "R-2", "title": "邻里纠纷", "category": "02",
                                    "source_channel": "grid", "township": town.code, "lat": town.lat,
                                    "lon": town.lon})
    stack.wait_seq(2)
    page.wait_for_timeout(1000)
    assert page.locator("#wall-revoked").is_visible() and "R-2" not in page.content()
    # a reload shows no wall either: the session went with the token
    page.reload()
    expect(page).to_have_url(f"{stack.url}/signin?next=%2Fwall")
    assert page.evaluate("window.__csp") == []
    assert errors == []


def test_an_officer_watching_the_wall_is_cut_off_when_disabled(stack, browser: Browser) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "wang.fang", "officer", PASSWORD)
    errors: list[str] = []
    page = sign_in_page(browser, stack.url, "wang.fang", PASSWORD, "/wall", errors)
    page.wait_for_function(LIVE, timeout=15_000)
    accounts.disable_user(engine, "wang.fang")
    ring_web(stack.settings)
    # At once by the doorbell; the sweep's period (10 s) bounds it if the ring were lost.
    expect(page.locator("#wall-revoked")).to_be_visible(timeout=15_000)
    assert errors == []


def test_english_sign_in(stack, browser: Browser) -> None:
    errors: list[str] = []
    page: Any = _page(browser, errors)
    page.goto(f"{stack.url}/wall?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("User name")).to_be_visible()
    expect(page.locator(".zs-signin-hint")).to_contain_text("Wall displays open the link")
