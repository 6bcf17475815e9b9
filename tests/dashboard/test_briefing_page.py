"""The leaders' briefing page through the Flask test client: an officer is refused the page and its callback, a
leader gets the period the URL names with figures counted from the seed, and a period that cannot be figured
says why instead of failing.

Expected figures are counted by hand from the seed below (cases on fixed local days before today).
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dashboard import accounts
from datafeeds.apply import Applier, RawMessage
from datafeeds.clock import SHANGHAI, utcnow
from datafeeds.models import DeadLetter

from wallaccess import sign_in

PASSWORD = "correct-horse-9"
OUTPUT = ("..briefing-url.search...briefing-period.value...briefing-dates.start_date...briefing-dates.end_date"
          "...briefing-custom.style...briefing-content.children..")


def _post(client: Any, body: dict[str, Any]) -> Any:
    cookie = client.get_cookie("_csrf_token")
    if cookie is None:
        client.get("/")
        cookie = client.get_cookie("_csrf_token")
    return client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": cookie.value})


def _page(client: Any, search: str) -> Any:
    return _post(client, {"output": "page.children", "outputs": {"id": "page", "property": "children"},
                          "inputs": [{"id": "url", "property": "pathname", "value": "/briefing"}],
                          "changedPropIds": ["url.pathname"],
                          "state": [{"id": "url", "property": "search", "value": search}]})


def _pick(client: Any, kind: str, start: str, end: str) -> Any:
    outputs = [{"id": i, "property": p} for i, p in (
        ("briefing-url", "search"), ("briefing-period", "value"), ("briefing-dates", "start_date"),
        ("briefing-dates", "end_date"), ("briefing-custom", "style"), ("briefing-content", "children"))]
    return _post(client, {
        "output": OUTPUT, "outputs": outputs,
        "inputs": [{"id": "briefing-period", "property": "value", "value": kind},
                   {"id": "briefing-dates", "property": "start_date", "value": start},
                   {"id": "briefing-dates", "property": "end_date", "value": end},
                   {"id": "briefing-url", "property": "search", "value": ""}],
        "changedPropIds": ["briefing-period.value"],
        "state": [{"id": "briefing-url", "property": "pathname", "value": "/briefing"}]})


def _text(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.dumps(response.get_json(), ensure_ascii=False)


@pytest.fixture
def seeded(app: Any, county: Any) -> dict[str, Any]:
    """Three cases: two registered in the period (four and three days ago), one of them assigned, signed for and
    resolved two days ago on time, and one registered in the previous period of the same length (six days ago)."""
    engine = app.extensions["zhongshu"].engine
    town = county.townships()[0]
    today = utcnow().astimezone(SHANGHAI).date()

    def noon(days_ago: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(12), SHANGHAI)

    dept = county.departments[0]
    events = [("case.registered", "BP-0", noon(6)), ("case.registered", "BP-1", noon(4)),
              ("case.assigned", "BP-1", noon(4) + timedelta(hours=1)),
              ("case.signed", "BP-1", noon(4) + timedelta(hours=2)), ("case.registered", "BP-2", noon(3)),
              ("case.resolved", "BP-1", noon(2))]
    messages = []
    for seq, (type_, no, at) in enumerate(events, 1):
        data: dict[str, Any] = {"case_no": no}
        if type_ == "case.registered":
            data.update(title="邻里纠纷", category="0902", source_channel="walk_in", township=town.code,
                        lat=town.lat, lon=town.lon)
        elif type_ == "case.assigned":
            data.update(department=dept.code, resolve_due=(at + timedelta(days=5)).isoformat())
        elif type_ == "case.signed":
            data.update(department=dept.code)
        else:
            data.update(department=dept.code, outcome="success")
        messages.append(RawMessage("t:feed:cases", json.dumps(
            {"v": 1, "id": f"bp-{seq}", "source": "briefing-web", "seq": seq, "type": type_,
             "at": at.isoformat(), "data": data}, ensure_ascii=False).encode()))
    Applier(engine).apply(messages)
    with engine.connect() as conn:
        assert conn.execute(select(DeadLetter.reason, DeadLetter.detail)).all() == []  # every event landed
    accounts.add_user(engine, "qian.officer", "officer", PASSWORD)
    accounts.add_user(engine, "sun.leader", "leader", PASSWORD)
    return {"officer": sign_in(app, "qian.officer"), "leader": sign_in(app, "sun.leader"),
            "from": (today - timedelta(days=4)).isoformat(), "to": (today - timedelta(days=2)).isoformat(),
            "town": town}


def test_an_officer_is_refused_the_briefing(seeded: dict[str, Any]) -> None:
    officer = seeded["officer"]
    assert officer.get("/briefing").status_code == 403
    page = _text(_page(officer, "?period=week"))
    assert "您没有查看此页面的权限。" in page and "briefing-root" not in page
    assert _pick(officer, "month", seeded["from"], seeded["to"]).status_code == 403


def test_a_leader_gets_the_period_the_url_names(seeded: dict[str, Any]) -> None:
    leader = seeded["leader"]
    assert leader.get("/briefing?period=month").status_code == 200
    page = _text(_page(leader, f"?period=custom&from={seeded['from']}&to={seeded['to']}"))
    assert "briefing-root" in page and "briefing-tiles" in page
    tiles = _tiles(_page(leader, f"?period=custom&from={seeded['from']}&to={seeded['to']}").get_json())
    # Two registered in the three days, one resolved; the previous three days held one.
    assert tiles["registered"][:2] == ["受理量", "2件"]
    assert tiles["registered"][2] == "环比上升100.0%"
    assert tiles["resolved"][:2] == ["办结量", "1件"]
    assert tiles["resolution_rate"][1] == "50.0%"
    assert f"/briefing/export.pdf?period=custom&from={seeded['from']}&to={seeded['to']}" in page
    assert f"/briefing/map.html?period=custom&from={seeded['from']}&to={seeded['to']}" in page
    assert '"/desk/case/BP-' not in page  # no major, long-open or red-card case in the seed


def test_the_picker_writes_the_url_and_the_briefing(seeded: dict[str, Any]) -> None:
    answer = _pick(seeded["leader"], "custom", seeded["from"], seeded["to"]).get_json()["response"]
    assert answer["briefing-url"]["search"] == f"?period=custom&from={seeded['from']}&to={seeded['to']}"
    assert answer["briefing-custom"]["style"] == {}
    assert _tiles(answer["briefing-content"])["registered"][1] == "2件"
    answer = _pick(seeded["leader"], "last_month", seeded["from"], seeded["to"]).get_json()["response"]
    assert answer["briefing-url"]["search"] == "?period=last_month"
    assert answer["briefing-period"]["value"] == "last_month"
    assert answer["briefing-custom"]["style"] == {"display": "none"}


@pytest.mark.parametrize("search", ["?period=fortnight", "?period=custom&from=2026-13-01&to=2026-13-02",
                                    "?period=custom&from=2999-01-01&to=2999-01-02"])
def test_a_bad_period_says_why(seeded: dict[str, Any], search: str) -> None:
    page = _text(_page(seeded["leader"], search))
    assert "无法按该统计期生成通报" in page and "briefing-tiles" not in page
    assert "period:" in page  # the reason, as datafeeds.briefing gives it


def _tiles(tree: Any) -> dict[str, list[str]]:
    """Return each headline tile's texts (name, value, 环比, 同比, 口径) found in a component tree."""
    out: dict[str, list[str]] = {}

    def texts(node: Any) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [x for n in node for x in texts(n)]
        if isinstance(node, dict):
            return texts(node.get("props", {}).get("children")) if "props" in node else \
                [x for v in node.values() for x in texts(v)]
        return []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict):
                node_id = props.get("id")
                if isinstance(node_id, str) and node_id.startswith("briefing-fig-"):
                    out[node_id.removeprefix("briefing-fig-")] = texts(props.get("children"))
                    return
                walk(props.get("children"))
            else:
                for v in node.values():
                    walk(v)

    walk(tree)
    return out


def test_the_briefing_speaks_english(seeded: dict[str, Any]) -> None:
    page = _text(_page(seeded["leader"], f"?period=custom&from={seeded['from']}&to={seeded['to']}&lang=en"))
    assert '"Briefing"' in page and "情况通报" not in page
    assert f"/briefing/export.html?period=custom&from={seeded['from']}&to={seeded['to']}&lang=en" in page
