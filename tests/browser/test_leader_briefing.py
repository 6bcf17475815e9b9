"""The leaders' briefing as a leader meets it: pick 本月 and a custom range, the URL follows (a bookmark), the
headline figures match the seed, the written summary and the hot-spot map are there, back goes to the period
before, and both exports download. An officer is refused the page.

The expected figures are counted from the seed below in the test (cases on fixed local days), not by the page's
code.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard import accounts
from datafeeds.clock import SHANGHAI, utcnow
from datafeeds.publisher import Publisher

from wallaccess import settle, sign_in_page

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-9"


class Seed:
    """Cases registered on local days before today (two hours ago for today), one resolved."""

    # days before today each case was registered (0: two hours ago)
    DAYS: ClassVar[dict[str, int]] = {"BR-1": 0, "BR-2": 1, "BR-3": 3, "BR-4": 9, "BR-5": 10, "BR-6": 10, "BR-7": 40}
    RESOLVED: ClassVar[dict[str, int]] = {"BR-5": 8}  # resolved eight days ago, signed for the day it was registered

    def __init__(self, county: Any) -> None:
        self.now = utcnow()
        self.today = self.now.astimezone(SHANGHAI).date()
        self.town = county.townships()[0]
        self.dept = county.departments[0]
        self.events: list[tuple[str, dict[str, Any], datetime]] = []
        for no in self.DAYS:
            at = self.registered(no)
            self.events.append(("case.registered", {
                "case_no": no, "title": "邻里纠纷", "category": "0902", "source_channel": "walk_in",
                "township": self.town.code, "lat": self.town.lat, "lon": self.town.lon}, at))
            if no in self.RESOLVED:
                done = self.noon(self.RESOLVED[no])
                self.events += [
                    ("case.assigned", {"case_no": no, "department": self.dept.code,
                                       "resolve_due": (done + timedelta(days=3)).isoformat()},
                     at + timedelta(minutes=10)),
                    ("case.signed", {"case_no": no, "department": self.dept.code}, at + timedelta(minutes=20)),
                    ("case.resolved", {"case_no": no, "department": self.dept.code, "outcome": "success"}, done)]

    def noon(self, days_ago: int) -> datetime:
        return datetime.combine(self.today - timedelta(days=days_ago), time(12), SHANGHAI)

    def registered(self, no: str) -> datetime:
        days = self.DAYS[no]
        return self.now - timedelta(hours=2) if days == 0 else self.noon(days)

    def registered_between(self, first: date, last: date) -> int:
        """Return how many seed cases were registered on local days first..last (both included)."""
        return sum(first <= self.registered(no).astimezone(SHANGHAI).date() <= last for no in self.DAYS)


def _seed(stack: Any, rclient: Any, county: Any) -> Seed:
    s = Seed(county)
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="briefing-test")
    for type_, data, at in sorted(s.events, key=lambda e: e[2]):
        pub.publish(type_, data, at=at)
    stack.wait_seq(len(s.events))
    return s


def _expect_registered(page: Page, n: int) -> None:
    expect(page.locator("#briefing-fig-registered .zs-briefing-tile-value")).to_have_text(f"{n}件")


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_a_leader_picks_a_period_and_reads_the_briefing(stack, browser: Browser, rclient, county) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "zheng.leader", "leader", PASSWORD)
    s = _seed(stack, rclient, county)
    errors: list[str] = []
    page = sign_in_page(browser, stack.url, "zheng.leader", PASSWORD, "/briefing", errors)
    expect(page.locator("h1")).to_have_text("情况通报")

    # No period named: this week, from Monday.
    expect(page.get_by_role("radio", name="本周")).to_be_checked()
    _expect_registered(page, s.registered_between(_monday(s.today), s.today))
    expect(page.locator("#briefing-fig-registered")).to_contain_text("口径：统计期内登记受理的案件数")
    expect(page.locator("#briefing-custom")).to_be_hidden()

    # 本月: the URL names it, the figures are the month's.
    page.get_by_role("radio", name="本月").check()
    expect(page).to_have_url(f"{stack.url}/briefing?period=month")
    _expect_registered(page, s.registered_between(s.today.replace(day=1), s.today))
    expect(page.locator("#briefing-when")).to_contain_text("本月")

    # A custom range of three days, ten to eight days ago: three cases registered, one resolved.
    page.get_by_role("radio", name="自定义").check()
    expect(page.locator("#briefing-custom")).to_be_visible()
    first, last = s.today - timedelta(days=10), s.today - timedelta(days=8)
    for box, day in (("#briefing-dates", first), ("#briefing-dates-end-date", last)):
        page.locator(box).fill(day.isoformat())
        page.locator(box).press("Enter")
    query = f"period=custom&from={first.isoformat()}&to={last.isoformat()}"
    expect(page).to_have_url(f"{stack.url}/briefing?{query}")
    _expect_registered(page, s.registered_between(first, last))
    assert s.registered_between(first, last) == 3
    expect(page.locator("#briefing-fig-resolved .zs-briefing-tile-value")).to_have_text("1件")
    expect(page.locator("#briefing-fig-resolution_rate .zs-briefing-tile-value")).to_have_text("33.3%")
    # The written summary opens with the period's 受理量; the township ranking lists the seed's township.
    expect(page.locator("#briefing-summary p").first).to_contain_text("3件")
    expect(page.locator("#briefing-township-table tbody tr")).to_have_count(1)
    expect(page.locator("#briefing-township-table tbody tr td").nth(1)).to_have_text(s.town.name)
    # The hot-spot map of the same period, in its frame.
    expect(page.locator("#briefing-map")).to_have_attribute("src", f"/briefing/map.html?{query}")
    # The league: the one department that resolved, on time.
    expect(page.locator("#briefing-league-table tbody tr")).to_have_count(1)
    expect(page.locator("#briefing-league-table td.zs-briefing-on_time")).to_have_text("100.0%（1/1）")

    # A bookmark of the range opens the same briefing.
    settle(page)
    page.goto(f"{stack.url}/briefing?{query}")
    expect(page.get_by_role("radio", name="自定义")).to_be_checked()
    _expect_registered(page, 3)

    # Back goes to the month again.
    page.get_by_role("radio", name="上月").check()
    expect(page).to_have_url(f"{stack.url}/briefing?period=last_month")
    page.go_back()
    expect(page).to_have_url(f"{stack.url}/briefing?{query}")
    expect(page.get_by_role("radio", name="自定义")).to_be_checked()
    _expect_registered(page, 3)
    settle(page)
    assert page.evaluate("window.__csp") == []
    assert errors == []


def test_a_leader_sees_the_map_and_downloads_both_exports(stack, browser: Browser, rclient, county) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "zheng.leader", "leader", PASSWORD)
    s = _seed(stack, rclient, county)
    first, last = s.today - timedelta(days=10), s.today - timedelta(days=8)
    query = f"period=custom&from={first.isoformat()}&to={last.isoformat()}"
    page = sign_in_page(browser, stack.url, "zheng.leader", PASSWORD, "/briefing")
    settle(page)
    page.goto(f"{stack.url}/briefing?{query}")
    # The frame draws the period's hot-spot map (the export helper's route).
    expect(page.frame_locator("#briefing-map").locator(".leaflet-container")).to_be_visible(timeout=15_000)
    for link, suffix in (("导出网页", ".html"), ("导出PDF", ".pdf")):
        with page.expect_download() as download:
            page.get_by_role("link", name=link).click()
        assert download.value.suggested_filename.endswith(suffix)
        path = download.value.path()
        assert path.stat().st_size > 0
        assert path.read_bytes()[:5].upper() == (b"%PDF-" if suffix == ".pdf" else b"<!DOC")
    settle(page)


def test_an_officer_is_refused_the_briefing(stack, browser: Browser) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "feng.officer", "officer", PASSWORD)
    page = sign_in_page(browser, stack.url, "feng.officer", PASSWORD, "/")
    expect(page.locator("#zs-desk-link")).to_be_visible()
    expect(page.locator("#zs-briefing-link")).to_have_count(0)
    assert page.goto(f"{stack.url}/briefing").status == 403
    assert "briefing-root" not in page.content()
