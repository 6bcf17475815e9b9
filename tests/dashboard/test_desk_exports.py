"""The desk's list exported: masked for everyone; in full only for a leader who states a reason; every export
audited; text that looks like a formula stays text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from dashboard import accounts
from datafeeds.models import Case

from wallaccess import sign_in

PASSWORD = "correct-horse-9"
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def people(app: Any) -> dict[str, Any]:
    engine = app.extensions["zhongshu"].engine
    from sqlalchemy import text

    with engine.begin() as conn:
        township = conn.execute(text("SELECT code FROM places WHERE tier = '05' ORDER BY code")).scalar()
        base = {"category": "0402", "scale": "01", "grade": "04", "urgent": False, "is_group": False,
                "long_standing": False, "people_involved": 2, "source_channel": "walk_in", "lat": 27.8,
                "lon": 113.1, "state": "registered", "is_open": True, "registered_at": NOW, "last_seq": 0,
                "updated_at": NOW, "township_code": township}
        conn.execute(Case.__table__.insert(), [
            {**base, "case_no": "EX-1", "title": "张伟明投诉物业", "address": "城关镇东湖路12号",
             "parties": [{"role": "applicant", "name": "张伟明", "phone": "13812345678",
                          "id_number": "110101199003071234"}]},
            {**base, "case_no": "EX-2", "title": "=HYPERLINK(\"http://evil.example\")", "address": "西山村",
             "parties": []},
        ])
    for role in ("officer", "leader"):
        accounts.add_user(engine, f"ex-{role}", role, PASSWORD)
    return {"engine": engine, "officer": sign_in(app, "ex-officer"), "leader": sign_in(app, "ex-leader")}


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_list_is_masked_and_formulas_stay_text(people) -> None:
    rows = _csv(people["officer"].get("/export/cases.csv?category=0402"))
    assert rows[0][:3] == ["案件编号", "登记时间", "标题"] and len(rows[0]) == 12
    body = {r[0]: r for r in rows[1:]}
    assert set(body) == {"EX-1", "EX-2"}
    assert body["EX-1"][2] == "张*明投诉物业" and "13812345678" not in str(rows)
    assert body["EX-2"][2].startswith("'=")  # a spreadsheet shows it; it does not run it

    response = people["officer"].get("/export/cases.xlsx?category=0402")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert cells["EX-2"][2].data_type == "s" and cells["EX-1"][2].value == "张*明投诉物业"


def test_in_full_only_for_a_leader_with_a_reason(people) -> None:
    query = "/export/cases.csv?category=0402&full=1"
    assert people["officer"].get(f"{query}&reason=核实当事人信息").status_code == 403
    assert people["leader"].get(f"{query}&reason=看看").status_code == 400  # a reason of 2 characters
    assert people["leader"].get(query).status_code == 400
    rows = _csv(people["leader"].get(f"{query}&reason=专题会议核实重复来访"))
    assert rows[0][-3:] == ["标题（完整）", "地址", "当事人（姓名 电话 证件号码）"]
    full = {r[0]: r for r in rows[1:]}["EX-1"]
    assert full[2] == "张*明投诉物业"  # the grid's columns stay masked; the full ones follow
    assert full[-3:] == ["张伟明投诉物业", "城关镇东湖路12号", "张伟明 13812345678 110101199003071234"]

    audit = accounts.read_audit(people["engine"], action="export")
    assert [(r.actor, r.target, r.reason) for r in audit] == [("ex-leader", "cases.csv", "专题会议核实重复来访")]
    assert '"full": true' in (audit[0].detail or "") and '"cases": 2' in (audit[0].detail or "")
