"""Freezing the wall from the desk: an officer's click stores a snapshot and audits it, a wall cannot, and the
snapshot's pages and framed map show it masked."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dashboard import accounts
from dashboard.foliummap import FILE_CSP
from datafeeds.apply import Applier, RawMessage
from datafeeds.clock import utcnow
from datafeeds.models import WallSnapshot

from wallaccess import sign_in, wall_client

PASSWORD = "correct-horse-9"
TITLE = "赵建国反映噪音扰民，电话13812345678"
MASKED = "赵*国反映噪音扰民，电话138****5678"


def _freeze_body(note: str) -> dict[str, Any]:
    return {"output": "snap-status.children", "outputs": {"id": "snap-status", "property": "children"},
            "inputs": [{"id": "snap-freeze", "property": "n_clicks", "value": 1}],
            "changedPropIds": ["snap-freeze.n_clicks"],
            "state": [{"id": "snap-note", "property": "value", "value": note},
                      {"id": "url", "property": "search", "value": ""}]}


def _page_body(pathname: str) -> dict[str, Any]:
    return {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                       {"id": "url", "property": "search", "value": ""}],
            "changedPropIds": ["url.pathname"], "state": []}


def _post(client: Any, body: dict[str, Any]) -> Any:
    cookie = client.get_cookie("_csrf_token")
    if cookie is None:
        client.get("/")
        cookie = client.get_cookie("_csrf_token")
    return client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": cookie.value})


@pytest.fixture
def desk(app: Any, county: Any) -> dict[str, Any]:
    engine = app.extensions["zhongshu"].engine
    town = county.townships()[0]
    at = utcnow() - timedelta(hours=1)
    message = {"v": 1, "id": "w-1", "source": "snap-web", "seq": 1, "type": "case.registered", "at": at.isoformat(),
               "data": {"case_no": "W-1", "title": TITLE, "category": "0402", "source_channel": "walk_in",
                        "township": town.code, "lat": town.lat, "lon": town.lon,
                        "parties": [{"role": "applicant", "name": "赵建国", "phone": "13812345678"}]}}
    Applier(engine).apply([RawMessage("t:feed:cases", json.dumps(message, ensure_ascii=False).encode())])
    accounts.add_user(engine, "zhou.officer", "officer", PASSWORD)
    return {"engine": engine, "officer": sign_in(app, "zhou.officer"), "wall": wall_client(app)}


def _stored(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(WallSnapshot)).scalar_one())


def test_an_officer_freezes_the_wall_and_it_is_audited(desk: dict[str, Any]) -> None:
    response = _post(desk["officer"], _freeze_body("  周例会引用 "))
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = json.dumps(response.get_json(), ensure_ascii=False)
    assert "已冻结：" in answer and "（编号 1）" in answer and '"/desk/snapshot/1"' in answer
    [row] = accounts.read_audit(desk["engine"], action="freeze")
    assert (row.actor, row.role, row.target) == ("zhou.officer", "officer", "snapshot:1")
    assert json.loads(row.detail or "{}") == {"note": "周例会引用"}
    with desk["engine"].connect() as conn:
        taken_by, note, pins = conn.execute(select(WallSnapshot.taken_by, WallSnapshot.note, WallSnapshot.pins)).one()
    assert (taken_by, note) == ("zhou.officer", "周例会引用")
    assert [(p["case_no"], p["title"]) for p in pins] == [("W-1", MASKED)]


def test_a_wall_may_not_freeze_nor_read_snapshots(desk: dict[str, Any]) -> None:
    assert _post(desk["wall"], _freeze_body("")).status_code == 403
    assert _stored(desk["engine"]) == 0 and accounts.read_audit(desk["engine"], action="freeze") == []
    assert _post(desk["officer"], _freeze_body("")).status_code == 200
    assert desk["wall"].get("/export/snapshot/1/map.html").status_code == 403
    for path in ("/desk/snapshots", "/desk/snapshot/1"):
        page = json.dumps(_post(desk["wall"], _page_body(path)).get_json(), ensure_ascii=False)
        assert "您没有查看此页面的权限" in page and "snap-figures" not in page, path


def test_the_snapshot_pages_and_map_show_it_masked(desk: dict[str, Any]) -> None:
    officer = desk["officer"]
    assert _post(officer, _freeze_body("专题会")).status_code == 200

    listing = json.dumps(_post(officer, _page_body("/desk/snapshots")).get_json(), ensure_ascii=False)
    assert "zhou.officer" in listing and "专题会" in listing and "在办 1" in listing and "今日受理 1" in listing

    page = json.dumps(_post(officer, _page_body("/desk/snapshot/1")).get_json(), ensure_ascii=False)
    assert "冻结人 zhou.officer" in page and "/export/snapshot/1/map.html" in page
    assert "今日受理" in page and "本月办结率" in page and "黄牌 / 红牌" in page
    missing = json.dumps(_post(officer, _page_body("/desk/snapshot/99")).get_json(), ensure_ascii=False)
    assert "没有编号为 99 的快照" in missing

    response = officer.get("/export/snapshot/1/map.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == f"{FILE_CSP}; frame-ancestors 'self'"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN" and "Content-Disposition" not in response.headers
    body = response.get_data(as_text=True)
    escaped = json.dumps(MASKED)[1:-1]  # the popup's text reaches Leaflet as a JSON string
    assert escaped in body
    for secret in ("赵建国", "13812345678"):
        assert secret not in body and json.dumps(secret)[1:-1] not in body, secret
    assert officer.get("/export/snapshot/99/map.html").status_code == 404
