"""The briefing's exports: an A4 PDF read back with poppler, an HTML file that asks for nothing, and their routes.

Cases go in through the ingest's Applier. Every expected figure is counted here from the seed itself: ten cases this
week (five, three and one in three townships, and one more in the first whose title names a party, who must appear
nowhere), two the week before, two of this week's resolved.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import plotly.offline
import pytest
from sqlalchemy import Engine, func, select

from dashboard import accounts, briefingdoc, foliummap
from datafeeds import queries
from datafeeds.apply import Applier, RawMessage
from datafeeds.briefing import build, period
from datafeeds.models import DeadLetter

from wallaccess import sign_in

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.fromisoformat("2026-11-26T12:00:00+08:00")  # a Thursday: this week is Monday 23rd to now
NAME, PHONE = "欧阳锋", "13812345678"
PER_TOWNSHIP = (5, 3, 1)  # this week's cases in the first three townships
PASSWORD = "correct-horse-9"


def seed_events(county: Any, now: datetime) -> list[RawMessage]:
    """Return the feed messages of the seed: this week's nine cases, two of them resolved, and last week's two."""
    towns = county.townships()[:3]
    dept = county.departments[0].code
    events: list[tuple[datetime, str, dict[str, Any]]] = []
    n = 0
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)

    def case(at: datetime, town: Any, title: str, parties: list[dict[str, str]]) -> str:
        nonlocal n
        n += 1
        village = county.villages(town.code)[0]
        case_no = f"BD-{n:02d}"
        events.append((at, "case.registered", {
            "case_no": case_no, "title": title, "category": "0402", "source_channel": "grid",
            "township": town.code, "village": village.code, "lat": village.lat, "lon": village.lon,
            "parties": parties}))
        return case_no

    for town, count in zip(towns, PER_TOWNSHIP, strict=True):
        for i in range(count):
            case(monday + timedelta(hours=2 + 7 * i), town, "物业纠纷", [])
    named = case(monday + timedelta(hours=40), towns[0], f"{NAME}与邻居纠纷，电话{PHONE}",
                 [{"name": NAME, "phone": PHONE}])
    for case_no in (named, "BD-01"):
        events.append((monday + timedelta(hours=41), "case.assigned", {
            "case_no": case_no, "department": dept, "resolve_due": (monday + timedelta(days=5)).isoformat()}))
        events.append((monday + timedelta(hours=43), "case.signed", {"case_no": case_no, "department": dept}))
        events.append((monday + timedelta(hours=45), "case.resolved", {
            "case_no": case_no, "department": dept, "outcome": "success"}))
    for hours in (3, 30):
        case(monday - timedelta(days=7) + timedelta(hours=hours), towns[1], "物业纠纷", [])
    events.sort(key=lambda e: e[0])
    return [RawMessage("t:feed:cases", json.dumps({"v": 1, "id": f"bd-{i}", "source": "bdoc-test", "seq": i + 1,
                                                   "type": kind, "at": at.isoformat(), "data": data},
                                                  ensure_ascii=False).encode())
            for i, (at, kind, data) in enumerate(events)]


# The seed, counted: PER_TOWNSHIP and the named case this week; two cases the week before.
REGISTERED = sum(PER_TOWNSHIP) + 1
PREVIOUS = 2


@pytest.fixture
def made(engine: Engine, county: Any) -> dict[str, Any]:
    Applier(engine, clock=lambda: NOW).apply(seed_events(county, NOW))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DeadLetter)).scalar() == 0  # every event landed
    b = build(engine, period("week", NOW, TZ), generated_at=NOW)
    return {"b": b, "names": queries.names(engine, "zh-CN"), "boundaries": queries.boundaries(engine),
            "towns": [t.name for t in county.townships()[:3]]}


def _flat(text: str) -> str:
    return "".join(text.split())


def test_the_pdf_is_a4_with_the_title_period_figures_and_definitions(made: dict[str, Any], tmp_path: Path) -> None:
    pdf = briefingdoc.pdf_document(made["b"], made["names"], made["boundaries"], "zh-CN", "示范县")
    path = tmp_path / "briefing.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 1
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    assert "(A4)" in info and f"Pages:           {len(pages)}" in info
    text = _flat(subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout)
    assert "示范县综治中心工作简报" in text
    assert "2026年11月23日至11月26日" in text and "截至12:00" in text
    assert "生成于2026-11-2612:00" in text
    rise = (REGISTERED - PREVIOUS) / PREVIOUS * 100
    assert f"受理量{REGISTERED}件环比上升{rise:.1f}%" in text
    assert "办结量2件" in text
    for town in made["towns"]:
        assert town in text  # the township table, chart and map
    assert "受理与办结趋势" in text  # a chart's title, set as text
    assert "统计口径" in text and "统计期内登记受理的案件数" in text
    assert f"第1页，共{len(pages)}页" in text
    assert NAME not in text and PHONE not in text


class _Fetches(HTMLParser):
    """Collect every attribute by which a document could fetch something, and the frames' documents."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.frames: list[dict[str, str | None]] = []
        self.csp: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href", "srcset", "action", "data", "poster", "background", "formaction"):
            if found.get(name):
                self.urls.append((tag, name, str(found[name])))
        if tag == "iframe":
            self.frames.append(found)
        if tag == "meta" and (found.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(str(found.get("content")))


def _parsed(doc: str) -> _Fetches:
    parser = _Fetches()
    parser.feed(doc)
    return parser


def test_the_html_file_asks_for_nothing_and_says_period_time_and_definitions(made: dict[str, Any]) -> None:
    doc = briefingdoc.html_document(made["b"], made["names"], made["boundaries"], "zh-CN", "示范县")
    top = _parsed(doc)
    assert top.csp == [foliummap.FILE_CSP] and top.csp[0].startswith("default-src 'none'")
    assert [u for u in top.urls if not u[2].startswith("data:")] == []
    [frame] = top.frames
    assert frame["sandbox"] == "allow-scripts" and not frame.get("src")
    inner = _parsed(str(frame["srcdoc"]))
    assert inner.csp == [foliummap.FILE_CSP]
    assert [u for u in inner.urls if not u[2].startswith("data:")] == []
    assert doc.count(plotly.offline.get_plotlyjs()[:5000]) == 1  # plotly.js inlined once for all five charts
    assert "示范县综治中心 工作简报" in doc
    assert "2026年11月23日至11月26日" in doc and "生成于 2026-11-26 12:00" in doc
    assert "统计口径" in doc and "统计期内登记受理的案件数" in doc
    assert NAME not in doc and PHONE not in doc


def _days_back(first: int, last: int) -> tuple[date, date]:
    today = datetime.now(TZ).date()
    return today - timedelta(days=first), today - timedelta(days=last)


@pytest.fixture
def leader(app: Any) -> Any:
    engine = app.extensions["zhongshu"].engine
    accounts.add_user(engine, "bd-leader", "leader", PASSWORD)
    accounts.add_user(engine, "bd-officer", "officer", PASSWORD)
    return sign_in(app, "bd-leader")


def test_a_leader_downloads_both_exports_and_each_is_audited(app: Any, leader: Any) -> None:
    engine = app.extensions["zhongshu"].engine
    first, last = _days_back(3, 1)
    query = f"period=custom&from={first.isoformat()}&to={last.isoformat()}"
    for fmt, mimetype, magic in (("pdf", "application/pdf", b"%PDF-"), ("html", "text/html", b"<!DOCTYPE html>")):
        answer = leader.get(f"/briefing/export.{fmt}?{query}")
        assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
        assert answer.mimetype == mimetype and answer.get_data().startswith(magic)
        assert answer.headers["Content-Disposition"] == (
            f'attachment; filename="briefing-{first:%Y%m%d}-{last:%Y%m%d}.{fmt}"')
        [row] = accounts.read_audit(engine, action="export", limit=1)
        assert (row.actor, row.role, row.target) == ("bd-leader", "leader", f"briefing.{fmt}")
        assert json.loads(row.detail or "{}") == {"period": "custom", "from": first.isoformat(),
                                                  "to": last.isoformat(), "format": fmt}


def test_the_map_route_frames_only_in_our_pages_and_is_not_an_export(app: Any, leader: Any) -> None:
    answer = leader.get("/briefing/map.html?period=week")
    assert answer.status_code == 200
    assert answer.headers["Content-Security-Policy"] == f"{foliummap.FILE_CSP}; frame-ancestors 'self'"
    assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "L.map(" in answer.get_data(as_text=True)
    assert accounts.read_audit(app.extensions["zhongshu"].engine, action="export") == []


def test_a_bad_period_is_refused_with_the_reason_and_an_officer_is_refused(app: Any, leader: Any) -> None:
    answer = leader.get("/briefing/export.pdf?period=year")
    assert answer.status_code == 400 and "is not one of" in answer.get_data(as_text=True)
    first, last = _days_back(1, 3)
    answer = leader.get(f"/briefing/export.html?period=custom&from={first}&to={last}")
    assert answer.status_code == 400 and "after the last day" in answer.get_data(as_text=True)
    officer = sign_in(app, "bd-officer")
    for path in ("/briefing/export.pdf", "/briefing/export.html", "/briefing/map.html"):
        assert officer.get(path).status_code == 403, path
    assert accounts.read_audit(app.extensions["zhongshu"].engine, action="export") == []
