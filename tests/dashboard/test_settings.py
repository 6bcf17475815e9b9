"""Every setting is documented in the README, and settings read the environment and a TOML file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.settings import EXTRA_ENV, Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _documented() -> set[str]:
    return set(re.findall(r"^\| `(ZHONGSHU_[A-Z_]+)` \|", README.read_text(encoding="utf-8"), re.M))


def test_every_setting_is_in_the_readme_table() -> None:
    names = {f"ZHONGSHU_{name.upper()}" for name in Settings.model_fields} | set(EXTRA_ENV)
    documented = _documented()
    assert names - documented == set(), "add these to the README's settings table"
    assert documented - names == set(), "the README documents settings that do not exist"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHONGSHU_PORT", "9000")
    monkeypatch.setenv("ZHONGSHU_COUNTY_NAME", "测试县")
    s = Settings()
    assert s.port == 9000
    assert s.title == "测试县综治中心 · 指挥中枢"
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("data/zhongshu.db")


def test_settings_come_from_a_toml_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "zhongshu.toml"
    config.write_text('feed_prefix = "county7"\nwall_title = "大屏"\n', encoding="utf-8")
    monkeypatch.setenv("ZHONGSHU_CONFIG", str(config))
    monkeypatch.setenv("ZHONGSHU_WALL_TITLE", "环境变量优先")
    s = Settings()
    assert s.feed_prefix == "county7"
    assert s.title == "环境变量优先"


def test_rotation_pages_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("ZHONGSHU_WALL_ROTATION", " overview, township ,departments")
    assert Settings().rotation == ["overview", "township", "departments"]
    monkeypatch.setenv("ZHONGSHU_WALL_ROTATION", "overview,weather")
    with pytest.raises(ValidationError, match="unknown rotation page weather"):
        Settings()
    monkeypatch.setenv("ZHONGSHU_WALL_ROTATION", "")
    assert Settings().rotation == []
