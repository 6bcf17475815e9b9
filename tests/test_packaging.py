"""A county installs from a wheel: it must carry the assets, the data files and the migrations."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_assets_data_and_migrations(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("zhongshu-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for asset in (ROOT / "assets").iterdir():
        assert f"dashboard/_assets/{asset.name}" in names
    assert "datafeeds/data/categories.json" in names
    assert "dashboard/demo_roster.toml" in names
    assert any(n.startswith("datafeeds/migrations/versions/0001") for n in names)
    assert "datafeeds/migrations/env.py" in names and "datafeeds/migrations/script.py.mako" in names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
