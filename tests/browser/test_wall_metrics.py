"""An open wall shows up in /metrics: one Socket.IO client in the wall view, one snapshot asked for on connect."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import Browser, expect
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.browser


def _sample(base: str, name: str, **labels: str) -> float | None:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        text = response.read().decode()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return None


def test_an_open_wall_is_a_counted_client(stack, browser: Browser, wait_for) -> None:
    assert _sample(stack.url, "zhongshu_socketio_clients", view="wall") == 0
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(stack.wall_url())
    expect(page.locator("#wall-c-today_registered")).to_have_text("0", timeout=15_000)
    wait_for(lambda: _sample(stack.url, "zhongshu_socketio_clients", view="wall") == 1)
    # the wall asked for its snapshot because it connected, and said so
    assert _sample(stack.url, "zhongshu_snapshot_requests_total", why="connect") == 1
    assert _sample(stack.url, "zhongshu_snapshot_requests_total", why="none") == 0
    page.close()
    wait_for(lambda: _sample(stack.url, "zhongshu_socketio_clients", view="wall") == 0)
