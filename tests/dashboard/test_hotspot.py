"""The briefing's hot-spot map: heat classes a printed figure can share, and a page that loads nothing and shows
feed text as text."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from html.parser import HTMLParser
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from dashboard import foliummap
from dashboard.foliummap import HeatClass, heat_classes, heat_colour
from datafeeds import queries
from datafeeds.county import County

HOSTILE = '<img src=x onerror="window.__pwned=1">${alert(1)}</script><script>alert(2)</script>'
WHEN = datetime(2026, 5, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def _luminance(colour: str) -> float:
    """Return the relative luminance (WCAG) of a #rrggbb colour."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _ranges(classes: list[HeatClass]) -> list[tuple[int, int]]:
    return [(c.lower, c.upper) for c in classes]


def test_five_classes_split_the_townships_at_quantiles() -> None:
    # ten townships with cases, two per fifth: 1 1 | 2 3 | 5 8 | 13 21 | 34 34, and one with none
    counts = {"a": 0, "b": 1, "c": 1, "d": 2, "e": 3, "f": 5, "g": 8, "h": 13, "i": 21, "j": 34, "k": 34}
    classes = heat_classes(counts)
    assert _ranges(classes) == [(1, 1), (2, 3), (4, 8), (9, 21), (22, 34)]
    assert [c.label() for c in classes] == ["1", "2–3", "4–8", "9–21", "22–34"]
    assert heat_colour(5, classes) == classes[2].colour
    assert heat_colour(34, classes) == classes[4].colour
    assert heat_colour(99, classes) == classes[4].colour  # above the top class: the darkest colour


def test_colours_run_light_yellow_to_dark_red_and_zero_has_its_own() -> None:
    classes = heat_classes({str(i): i for i in range(0, 40, 3)})
    assert len(classes) == 5
    lum = [_luminance(c.colour) for c in classes]
    assert lum == sorted(lum, reverse=True) and len(set(lum)) == 5  # strictly darker, class by class
    first, last = (int(classes[0].colour[i:i + 2], 16) for i in (1, 3, 5)), \
        (int(classes[-1].colour[i:i + 2], 16) for i in (1, 3, 5))
    r, g, b = first
    assert r > 0xf0 and g > 0xf0 and b < r  # a light yellow
    r, g, b = last
    assert r > 0x90 and g < 0x30 and b < 0x50  # a dark red
    zero = heat_colour(0, classes)
    assert zero not in {c.colour for c in classes}
    assert _luminance(zero) > 0.8  # pale
    assert heat_colour(0, []) == zero


def test_few_distinct_counts_give_fewer_classes_and_none_empty() -> None:
    assert heat_classes({}) == []
    assert heat_classes({"a": 0, "b": 0}) == []
    assert _ranges(heat_classes({"a": 4, "b": 4, "c": 0})) == [(1, 4)]
    assert _ranges(heat_classes({"a": 1, "b": 2})) == [(1, 1), (2, 2)]
    # twenty townships with one case would fill every quantile; each other value still gets a class
    skewed = {f"t{i}": 1 for i in range(20)} | {"x": 2, "y": 3, "z": 50, "w": 51}
    assert _ranges(heat_classes(skewed)) == [(1, 1), (2, 2), (3, 3), (4, 50), (51, 51)]


@given(st.dictionaries(st.text(max_size=4), st.integers(min_value=0, max_value=500), max_size=40))
def test_the_classes_cover_every_count_once(counts: dict[str, int]) -> None:
    classes = heat_classes(counts)
    positives = {n for n in counts.values() if n > 0}
    assert len(classes) == min(5, len(positives))
    if not classes:
        return
    assert classes[0].lower == 1 and classes[-1].upper == max(positives)
    for before, after in pairwise(classes):
        assert after.lower == before.upper + 1  # contiguous: every whole number in exactly one class
    for c in classes:
        assert c.lower <= c.upper
        assert any(c.lower <= n <= c.upper for n in positives)  # no empty class
    for n in positives:
        [owner] = [c for c in classes if c.lower <= n <= c.upper]
        assert heat_colour(n, classes) == owner.colour


def _cases(county: County, title: str) -> list[dict[str, Any]]:
    town = county.townships()[0]
    return [{"case_no": f"H-{i}", "title": title, "parties": [{"name": "赵建国"}], "category": "02",
             "township": town.code, "state": "registered", "risk": "overdue", "lat": town.lat + i * 0.001,
             "lon": town.lon} for i in range(3)]


def _render(engine: Engine, county: County, *, title: str = "示范县 · 本周热点", case_title: str = "赵建国与邻居纠纷",
            lang: str = "zh-CN", total: int | None = None) -> str:
    towns = county.townships()
    counts = {towns[0].code: 32, towns[1].code: 4}
    previous = {towns[0].code: 27, towns[1].code: 6, towns[2].code: 1}
    fmap = foliummap.hotspot_map(counts, previous, _cases(county, case_title), queries.boundaries(engine),
                                 queries.names(engine, lang), title=title, period_label="2026-05-04 — 2026-05-10",
                                 generated_at=WHEN, labels=foliummap.hotspot_labels(lang), total=total)
    return foliummap.render(fmap)


def _tooltips(page: str) -> list[str]:
    return [json.loads(m) for m in re.findall(r'\.bindTooltip\(("(?:[^"\\]|\\.)*")', page)]


def test_tooltips_say_count_and_change_per_township(engine: Engine, county: County) -> None:
    towns = county.townships()
    page = _render(engine, county)
    tips = _tooltips(page)
    assert len(tips) == len(towns)
    assert f"{towns[0].name}：32件，环比 +5" in tips
    assert f"{towns[1].name}：4件，环比 -2" in tips
    assert f"{towns[2].name}：0件，环比 -1" in tips
    assert f"{towns[3].name}：0件，环比 ±0" in tips
    english = _tooltips(_render(engine, county, lang="en"))
    assert f"{towns[0].name_en}: 32 cases, +5 on the previous period" in english


class _Fetches(HTMLParser):
    """Collect what a page's markup and styles would fetch from elsewhere (scripts' text is JavaScript, skipped)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"
        self.urls += [v for k, v in attrs if k in ("src", "href", "action", "poster", "data", "srcset") and v]
        self.urls += [u for k, v in attrs if k == "style" and v for u in _css_urls(v)]

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls += _css_urls(data)


def _css_urls(css: str) -> list[str]:
    return re.findall(r"""url\(\s*["']?([^"')\s]+)""", css) + re.findall(r"""@import\s+["']([^"']+)""", css)


def test_the_page_fetches_nothing(engine: Engine, county: County) -> None:
    page = _render(engine, county)
    found = _Fetches()
    found.feed(page)
    assert [u for u in found.urls if re.match(r"(?i)\s*(https?:|//)", u)] == []
    assert {"link", "iframe", "img", "object", "embed", "base"}.isdisjoint(found.tags)
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", page, flags=re.IGNORECASE)
    assert f'content="{foliummap.FILE_CSP}"' in page and "default-src 'none'" in foliummap.FILE_CSP


def test_feed_text_stays_text_and_data_cannot_close_its_script(engine: Engine, county: County) -> None:
    page = _render(engine, county, title=HOSTILE, case_title=f"赵建国 {HOSTILE}")
    # every <script> the page opens is one of ours and closes once: the data never closes one early
    assert len(re.findall(r"<script\b", page)) == len(re.findall(r"</script", page))
    data = page[page.index("var case_clusters_"):]
    data = data[:data.index("</script>")]
    assert "</" not in data and "<img" not in data
    [points] = re.findall(r"\}\)\([a-z_0-9]+, (\[.*\])\);\s*$", data, flags=re.DOTALL)
    popups = [p["popup"] for p in json.loads(points)]
    assert len(popups) == 3
    assert all(p.startswith("H-") and html.escape(f"赵*国 {HOSTILE}", quote=True) in p for p in popups)
    assert "赵建国" not in page  # masked by the party's name
    assert html.escape(HOSTILE, quote=True) in page  # the title box shows the markup as text
    assert "<img src=x" not in page and "alert(2)</script>" not in page


def test_the_title_box_counts_the_cases(engine: Engine, county: County) -> None:
    page = _render(engine, county)
    assert "2026-05-04 — 2026-05-10" in page and "生成于 2026-05-10 09:30 · 案件 3 件" in page
    assert "案件 40 件，图上为最新 3 件" in _render(engine, county, total=40)
    legend = page[page.index('class="zs-map-legend"'):]
    assert [html.unescape(x) for x in re.findall(r'class="zs-heat-class">.*?</span>([^<]*)</div>', legend)] == \
        ["0", "1–4", "5–32"]
