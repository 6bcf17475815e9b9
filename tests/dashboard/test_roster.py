"""The duty roster: most specific entry wins, names leave the server masked."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dashboard.roster import Roster

from wallaccess import wall_client

ROSTER = """
[default]
leader = "王建国"
officers = ["李明", "赵红梅"]

[weekdays]
6 = { leader = "陈志强", officers = "刘洋" }

[days]
"2026-11-28" = { leader = "张卫东", officers = ["孙丽"] }
"""


def test_the_most_specific_entry_wins(tmp_path: Path) -> None:
    path = tmp_path / "roster.toml"
    path.write_text(ROSTER, encoding="utf-8")
    roster = Roster.load(path)
    assert roster.on(date(2026, 11, 26)).masked() == {"leader": "王*国", "officers": ["李*", "赵*梅"]}
    assert roster.on(date(2026, 11, 21)).masked() == {"leader": "陈*强", "officers": ["刘*"]}  # a Saturday
    assert roster.on(date(2026, 11, 28)).masked() == {"leader": "张*东", "officers": ["孙*"]}  # Saturday, by date
    assert Roster.load(None).on(date(2026, 11, 26)).masked() == {"leader": "", "officers": []}


def test_duty_api_serves_masked_names_and_follows_edits(settings, tmp_path: Path) -> None:
    from dashboard.app import create_app

    path = tmp_path / "roster.toml"
    path.write_text(ROSTER, encoding="utf-8")
    app = create_app(settings.model_copy(update={"duty_roster": path}))
    client = wall_client(app)
    body = client.get("/api/duty?day=2026-11-26").get_json()
    assert body == {"day": "2026-11-26", "leader": "王*国", "officers": ["李*", "赵*梅"]}
    assert "王建国" not in client.get("/api/duty?day=2026-11-26").get_data(as_text=True)
    assert client.get("/api/duty?day=tomorrow").status_code == 400
    path.write_text(ROSTER.replace("王建国", "钱多多"), encoding="utf-8")
    import os

    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert client.get("/api/duty?day=2026-11-26").get_json()["leader"] == "钱*多"
    app.extensions["zhongshu"].engine.dispose()
