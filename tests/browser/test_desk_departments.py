"""The desk's departments page as an officer meets it: box plots, the on-time line and the table with the right
numbers for cases fed through the real ingest, names that open the desk's list, English, live refresh; a wall
is refused the page.

The expected numbers are worked out by hand from the seed below (hours after assignment), not by the page's code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard import accounts
from datafeeds.publisher import Publisher

from wallaccess import sign_in_page

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-9"
COLUMNS = ("assigned", "returned", "open", "overdue", "sign_median", "resolve_median", "on_time")


class Seed:
    """Five cases in two departments (A, B) and two townships (T1, T2), timed in hours before now."""

    def __init__(self, county: Any) -> None:
        self.county = county
        self.a, self.b = county.departments[0], county.departments[1]
        self.t1, self.t2 = county.townships()[0], county.townships()[1]
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.events: list[tuple[str, dict[str, Any], datetime]] = []

    def ago(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)

    def case(self, no: str, town: Any, dept: Any, assigned: float, due: float, signed: float | None = None,
             resolved: float | None = None, returned: float | None = None) -> None:
        village = self.county.villages(town.code)[0]
        self.events.append(("case.registered", {
            "case_no": no, "title": "邻里纠纷", "category": "0902", "source_channel": "walk_in",
            "township": town.code, "village": village.code, "lat": village.lat, "lon": village.lon},
            self.ago(assigned + 1)))
        self.events.append(("case.assigned", {"case_no": no, "department": dept.code,
                                              "sign_due": (self.ago(assigned) + timedelta(days=1)).isoformat(),
                                              "resolve_due": self.ago(due).isoformat()}, self.ago(assigned)))
        if signed is not None:
            self.events.append(("case.signed", {"case_no": no, "department": dept.code}, self.ago(signed)))
        if returned is not None:
            self.events.append(("case.returned", {"case_no": no, "department": dept.code}, self.ago(returned)))
        if resolved is not None:
            self.events.append(("case.resolved", {"case_no": no, "department": dept.code, "outcome": "success"},
                                self.ago(resolved)))


def _seed(stack: Any, rclient: Any, county: Any) -> Seed:
    s = Seed(county)
    #        no     town  dept  assigned  due (− = ahead)
    s.case("DP-1", s.t1, s.a, 48, -120, signed=46, resolved=24)  # sign 2 h, resolve 24 h, on time
    s.case("DP-2", s.t2, s.a, 29, 5, signed=25, resolved=2)  # sign 4 h, resolve 27 h, late (due 5 h ago)
    s.case("DP-3", s.t1, s.a, 10, 1, signed=4)  # sign 6 h, open, overdue (due 1 h ago)
    s.case("DP-4", s.t2, s.b, 20, -72, returned=15)  # returned unsigned: open at the center, not overdue
    s.case("DP-5", s.t1, s.b, 8, -48, signed=7)  # sign 1 h, open
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="depts-test")
    for type_, data, at in sorted(s.events, key=lambda e: e[2]):
        pub.publish(type_, data, at=at)
    stack.wait_seq(len(s.events))
    return s


def _row(page: Page, name: str) -> Any:
    return page.locator("#depts-table tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))


def _expect_row(page: Page, name: str, cells: tuple[str, ...]) -> None:
    row = _row(page, name)
    for column, text in zip(COLUMNS, cells, strict=True):
        expect(row.locator(f"td.zs-depts-{column}")).to_have_text(text)


def _plot(page: Page, graph: str) -> Any:
    selector = f"#{graph} .js-plotly-plot"
    page.wait_for_function(f"() => {{ const g = document.querySelector('{selector}'); "
                           f"return g && g.data && g.data.length > 0; }}", timeout=10_000)
    return page.evaluate(f"() => document.querySelector('{selector}').data.map(t => "
                         f"({{type: t.type, y: t.y, median: t.median, q1: t.q1, q3: t.q3, name: t.name}}))")


def test_an_officer_reads_the_departments_and_townships(stack, browser: Browser, rclient, county) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "wu.officer", "officer", PASSWORD)
    s = _seed(stack, rclient, county)
    errors: list[str] = []
    page = sign_in_page(browser, stack.url, "wu.officer", PASSWORD, "/desk/departments", errors)
    expect(page.locator("h1")).to_have_text("部门与乡镇响应")

    # By department, worst first: A has the overdue case.
    rows = page.locator("#depts-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_role("link")).to_have_text(s.a.name)
    _expect_row(page, s.a.name, ("3", "0", "1", "1", "4.0", "25.5", "50.0%（1/2）"))
    _expect_row(page, s.b.name, ("2", "1", "1", "0", "1.0", "—", "—"))
    expect(page.get_by_text("口径：交办 = 统计期内交办的任务数", exact=False)).to_be_visible()
    expect(page.get_by_text("口径：签收时长 = 签收时间 − 交办时间", exact=False)).to_be_visible()
    expect(page.get_by_text("口径：按期办结率 = 按期办结数 / 办结数", exact=False)).to_be_visible()

    sign = _plot(page, "depts-sign")
    assert sign[0]["type"] == "box" and sign[0]["y"] == [s.a.name, s.b.name]
    assert sign[0]["median"] == pytest.approx([4.0, 1.0], abs=1e-3)
    assert sign[0]["q1"] == pytest.approx([3.0, 1.0], abs=1e-3) and sign[0]["q3"] == pytest.approx([5.0, 1.0],
                                                                                                   abs=1e-3)
    resolve = _plot(page, "depts-resolve")
    assert resolve[0]["y"] == [s.a.name] and resolve[0]["median"] == pytest.approx([25.5], abs=1e-3)
    rate = _plot(page, "depts-rate")
    county_line = next(t for t in rate if t["name"] == "全县")
    assert [y for y in county_line["y"] if y is not None] in ([50.0], [100.0, 0.0])  # one week, or two

    # By township: the same assignments counted where their cases are.
    page.get_by_role("radio", name="按乡镇").check()
    expect(rows.nth(0).get_by_role("link")).to_have_text(s.t1.name)
    _expect_row(page, s.t1.name, ("3", "0", "2", "1", "2.0", "24.0", "100.0%（1/1）"))
    _expect_row(page, s.t2.name, ("2", "1", "1", "0", "4.0", "27.0", "0.0%（0/1）"))
    expect(_row(page, s.t1.name).get_by_role("link")).to_have_attribute(
        "href", f"/desk?township={s.t1.code}&state=open")

    # Seven days: the same figures (everything happened in the last two days), the line by day.
    page.get_by_role("radio", name="近7日").check()
    expect(page.locator("#depts-range")).to_contain_text("（7 天，含今日）")
    page.wait_for_function("() => document.querySelector('#depts-rate .js-plotly-plot').data[0].x.length === 7")
    _expect_row(page, s.t1.name, ("3", "0", "2", "1", "2.0", "24.0", "100.0%（1/1）"))

    # A department's name opens the desk's list of its open cases.
    page.get_by_role("radio", name="按部门").check()
    link = _row(page, s.a.name).get_by_role("link")
    expect(link).to_have_attribute("href", f"/desk?department={s.a.code}&state=open")
    link.click()
    expect(page).to_have_url(f"{stack.url}/desk?department={s.a.code}&state=open")
    assert page.evaluate("window.__csp") == []
    assert errors == []


def test_the_page_follows_the_feed_and_speaks_english(stack, browser: Browser, rclient, county) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "wu.officer", "officer", PASSWORD)
    s = _seed(stack, rclient, county)
    errors: list[str] = []
    page = sign_in_page(browser, stack.url, "wu.officer", PASSWORD, "/desk/departments?lang=en", errors)
    expect(page.locator("h1")).to_have_text("Departments and townships")
    expect(page.locator("#depts-table thead")).to_contain_text("Assigned")
    a_name = next(d.name_en for d in county.departments if d.code == s.a.code)
    b_name = next(d.name_en for d in county.departments if d.code == s.b.code)
    _expect_row(page, b_name, ("2", "1", "1", "0", "1.0", "—", "—"))
    expect(_row(page, a_name).get_by_role("link")).to_have_attribute(
        "href", f"/desk?department={s.a.code}&state=open&lang=en")

    # B resolves its open case on time: the page reads the figures again when the desks' doorbell rings (at
    # most once every ten seconds), without a reload.
    page.evaluate("window.__mark = 1")
    Publisher(rclient, prefix=stack.settings.feed_prefix, source="depts-test-2").publish(
        "case.resolved", {"case_no": "DP-5", "department": s.b.code, "outcome": "success"})
    stack.wait_seq(len(s.events) + 1)
    expect(_row(page, b_name).locator("td.zs-depts-on_time")).to_have_text("100.0% (1/1)", timeout=20_000)
    expect(_row(page, b_name).locator("td.zs-depts-open")).to_have_text("0")
    assert page.evaluate("window.__mark") == 1  # the same page, not a reload
    assert page.evaluate("window.__csp") == []
    assert errors == []


def test_a_wall_may_not_open_the_page(stack, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(stack.wall_url())
    expect(page.locator("#wall-c-today_registered")).to_be_visible(timeout=15_000)
    assert page.goto(f"{stack.url}/desk/departments").status == 403
    expect(page.locator(".zs-signin-message")).to_have_text("您没有查看此页面的权限。")
    assert "depts-table" not in page.content()
