"""The desk's case explorer in a real browser: filters write the URL and narrow the grid, a URL reproduces the
view, exports carry the grid's rows, and a new matching case appears by push without a reload."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from dashboard import accounts
from datafeeds.publisher import Publisher

from wallaccess import settle, sign_in_page

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-9"


def _register(pub: Publisher, county: Any, case_no: str, town: int, category: str, title: str = "邻里纠纷",
              parties: list[dict[str, str]] | None = None) -> None:
    township = county.townships()[town]
    village = county.villages(township.code)[0]
    pub.publish("case.registered", {
        "case_no": case_no, "title": title, "category": category, "source_channel": "walk_in",
        "township": township.code, "village": village.code, "address": f"{village.name}1组", "lat": village.lat,
        "lon": village.lon, "parties": parties or []})


@pytest.fixture
def seeded(stack: Any, rclient: Any, county: Any) -> dict[str, Any]:
    pub = Publisher(rclient, prefix=stack.settings.feed_prefix, source="desk-test")
    cases = [("D-A1", 0, "0402"), ("D-A2", 0, "0402"), ("D-A3", 0, "0902"), ("D-B1", 1, "0402"),
             ("D-B2", 1, "0701"), ("D-B3", 1, "0402")]
    for no, town, cat in cases:
        _register(pub, county, no, town, cat)
    _register(pub, county, "D-A4", 0, "0402", title="张伟明投诉物业",
              parties=[{"role": "applicant", "name": "张伟明", "phone": "13812345678"}])
    stack.wait_seq(len(cases) + 1)
    return {"pub": pub, "town_a": county.townships()[0].code, "town_b": county.townships()[1].code}


def _officer(stack: Any, browser: Browser, errors: list[str]) -> Page:
    """Sign an officer in and open the desk from the home page's link."""
    accounts.add_user(stack.app.extensions["zhongshu"].engine, "desk.officer", "officer", PASSWORD)
    page = sign_in_page(browser, stack.url, "desk.officer", PASSWORD, "/", errors)
    expect(page.locator("#zs-desk-wall-link")).to_have_attribute("href", "/wall?desk=1")
    page.locator("#zs-desk-link").click()
    expect(page).to_have_url(f"{stack.url}/desk")
    settle(page)
    return page


def _grid_cases(page: Page) -> list[str]:
    return sorted(page.locator("#desk-grid .ag-center-cols-container [col-id=case_no]").all_inner_texts())


def _expect_cases(page: Page, wanted: list[str]) -> None:
    expect(page.locator("#desk-count")).to_have_text(f"共 {len(wanted)} 件", timeout=10_000)
    expect(page.locator("#desk-grid .ag-center-cols-container [col-id=case_no]")).to_have_count(len(wanted),
                                                                                                timeout=10_000)
    cells = page.locator("#desk-grid .ag-center-cols-container [col-id=case_no]")
    for case_no in wanted:  # the rows are there; wait for their cells to be drawn
        expect(cells.filter(has_text=case_no)).to_have_count(1)
    assert _grid_cases(page) == sorted(wanted)


def _choose(page: Page, control: str, option: str) -> None:
    page.locator(f"#{control}").click()  # the options open in a popover outside the control
    page.get_by_role("listbox").get_by_role("option", name=option, exact=False).first.click()
    page.keyboard.press("Escape")


def test_filters_narrow_the_grid_and_live_in_the_url(stack, browser: Browser, seeded, county) -> None:
    errors: list[str] = []
    page = _officer(stack, browser, errors)
    _expect_cases(page, ["D-A1", "D-A2", "D-A3", "D-A4", "D-B1", "D-B2", "D-B3"])
    town_a = county.townships()[0]

    _choose(page, "desk-f-township", town_a.name)
    _expect_cases(page, ["D-A1", "D-A2", "D-A3", "D-A4"])
    _choose(page, "desk-f-category", "0402")
    _expect_cases(page, ["D-A1", "D-A2", "D-A4"])
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"township": [town_a.code], "category": ["0402"]}, page.url

    # The same URL loaded afresh shows the same view: the same rows and the filters set.
    shared = page.url
    page.goto(f"{stack.url}/desk")
    _expect_cases(page, ["D-A1", "D-A2", "D-A3", "D-A4", "D-B1", "D-B2", "D-B3"])
    page.goto(shared)
    _expect_cases(page, ["D-A1", "D-A2", "D-A4"])
    expect(page.locator("#desk-f-township")).to_contain_text(town_a.name)
    expect(page.locator("#desk-f-category")).to_contain_text("0402")

    # Back in history: the bar and the list follow the URL.
    page.go_back()
    _expect_cases(page, ["D-A1", "D-A2", "D-A3", "D-A4", "D-B1", "D-B2", "D-B3"])

    # The map draws the same cases, and each opens its case.
    page.wait_for_function("""() => { var n = 0; zhongshu.deskMap.map.eachLayer(function (l) {
        if (l.feature && l.feature.properties && l.feature.properties.case_no) n += 1; }); return n === 7; }""")
    box = page.locator("#desk-map").bounding_box()
    assert box is not None
    x, y = page.evaluate("""() => { var at = null; zhongshu.deskMap.map.eachLayer(function (l) {
        if (l.feature && l.feature.properties.case_no === "D-A1") at = l.getLatLng(); });
        var p = zhongshu.deskMap.map.latLngToContainerPoint(at); return [p.x, p.y]; }""")
    page.mouse.click(box["x"] + x, box["y"] + y)
    expect(page).to_have_url(re.compile(rf"{stack.url}/desk/case/D-A[1-4]$"))  # one village: the top pin
    page.go_back()
    _expect_cases(page, ["D-A1", "D-A2", "D-A3", "D-A4", "D-B1", "D-B2", "D-B3"])

    # Each row links to its case.
    page.locator("#desk-grid a.zs-case-link", has_text="D-A1").click()
    expect(page).to_have_url(f"{stack.url}/desk/case/D-A1")
    assert not errors and not page.evaluate("() => window.__csp || []"), errors


def test_titles_are_masked_in_the_grid(stack, browser: Browser, seeded) -> None:
    page = _officer(stack, browser, [])
    page.goto(f"{stack.url}/desk?text=物业")
    _expect_cases(page, ["D-A4"])
    title = page.locator("#desk-grid .ag-center-cols-container [col-id=title]").first
    expect(title).to_have_text("张*明投诉物业")


def test_exports_carry_the_grids_rows_masked(stack, browser: Browser, seeded) -> None:
    page = _officer(stack, browser, [])
    page.goto(f"{stack.url}/desk?category=04")
    _expect_cases(page, ["D-A1", "D-A2", "D-A4", "D-B1", "D-B3"])
    shown = _grid_cases(page)

    with page.expect_download() as csv_download:
        page.locator("#desk-export-csv").click()
    text = csv_download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "案件编号" and sorted(r[0] for r in rows[1:]) == shown
    assert "张*明投诉物业" in text and "张伟明" not in text

    with page.expect_download() as xlsx_download:
        page.locator("#desk-export-xlsx").click()
    book = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    values = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert sorted(r[0] for r in values[1:]) == shown

    audit = accounts.read_audit(stack.app.extensions["zhongshu"].engine, actor="desk.officer")
    assert {r.target for r in audit if r.action == "export"} == {"cases.csv", "cases.xlsx"}


def test_a_new_matching_case_appears_without_reload(stack, browser: Browser, seeded, county) -> None:
    errors: list[str] = []
    page = _officer(stack, browser, errors)
    page.goto(f"{stack.url}/desk?township={seeded['town_b']}&category=0402")
    _expect_cases(page, ["D-B1", "D-B3"])
    page.evaluate("() => { window.__sameDocument = true; }")

    _register(seeded["pub"], county, "D-A9", 0, "0402")  # another township: the list must not change
    _register(seeded["pub"], county, "D-B9", 1, "0402")
    _expect_cases(page, ["D-B1", "D-B3", "D-B9"])
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    assert not errors, errors


def test_a_leader_exports_in_full_only_with_a_reason(stack, browser: Browser, seeded) -> None:
    engine = stack.app.extensions["zhongshu"].engine
    accounts.add_user(engine, "desk.leader", "leader", PASSWORD)
    officer = _officer(stack, browser, [])
    expect(officer.locator("#desk-count")).to_have_text("共 7 件", timeout=10_000)
    assert officer.locator("#desk-full-reason").count() == 0  # officers unmask one case at a time

    page = sign_in_page(browser, stack.url, "desk.leader", PASSWORD, "/desk", [])
    page.goto(f"{stack.url}/desk?text=物业")
    _expect_cases(page, ["D-A4"])
    link = page.locator("#desk-full-csv")
    expect(link).not_to_have_attribute("href", re.compile("."))
    page.locator("#desk-full-reason").fill("专题会议核实")
    expect(link).to_have_attribute("href", re.compile("full=1"))
    with page.expect_download() as download:
        link.click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert "张伟明投诉物业" in text and "张伟明 13812345678" in text
    audit = accounts.read_audit(engine, actor="desk.leader", action="export")
    assert [(r.target, r.reason) for r in audit] == [("cases.csv", "专题会议核实")]
