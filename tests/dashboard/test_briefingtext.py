"""The briefing's written summary, period label, values, changes and 口径 lines (layouts/briefingtext.py).

Briefings are built by hand with known numbers, and the expected sentences are written out literally (the
arithmetic done by hand in the comments), never produced by the code under test. A last test reads a briefing from
a store filled with synthetic cases and checks the summary's count against the store counted here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from datafeeds.briefing import (
    HEADLINE_KEYS,
    Briefing,
    CaseLine,
    DeptLine,
    Figure,
    Period,
    Share,
    build,
    period,
)
from datafeeds.county import County
from datafeeds.deptfigures import Group
from datafeeds.fillcases import fill_cases
from datafeeds.models import Case
from datafeeds.queries import names as store_names
from layouts.briefingtext import fmt_change, fmt_value, kouing, period_label, summary

NOW = datetime.fromisoformat("2026-11-26T17:40:00+08:00")  # a Thursday
WEEK = period("week", NOW)  # 23–26 November, running to now
LAST_WEEK = period("last_week", NOW)  # 16–22 November, closed
NAMES: dict[str, dict[str, str]] = {
    "places": {"t1": "城关镇", "t2": "河口镇", "t3": "柳树乡", "t4": "东坡乡", "v1": "东关村", "v2": "西岭村"},
    "departments": {"d1": "住建局", "d2": "人社局", "d3": "司法局", "d4": "城管局", "d5": "民政局"},
    "categories": {"01": "婚恋家庭", "02": "邻里", "06": "合同", "07": "劳动人事"},
}
NAMES_EN: dict[str, dict[str, str]] = {
    "places": {"t1": "Chengguan", "t3": "Liushu", "v1": "Dongguan"},
    "departments": {"d1": "Housing", "d2": "Labour"},
    "categories": {"01": "Marriage and family", "02": "Neighbourhood", "06": "Contracts"},
}


def _headline(**values: tuple[float | None, float | None, float | None]) -> dict[str, Figure]:
    """Return a headline with every figure zero (rates unknown) unless given as (value, previous, year ago)."""
    out = {}
    for key in HEADLINE_KEYS:
        rate = key.endswith("_rate")
        value, previous, year_ago = values.get(key, (None, None, None) if rate else (0, 0, 0))
        out[key] = Figure(key, value, previous, year_ago)
    return out


def _case(n: int) -> CaseLine:
    return CaseLine(case_no=f"C{n:04d}", title="邻里纠纷", category="0201", township="t1", village="v1",
                    state="progress", department="d1", registered_at=NOW - timedelta(days=40 + n), resolve_due=None,
                    supervision="red", grade="04", scale="01", is_group=False, people_involved=2, is_open=True)


def _briefing(p: Period = WEEK, **fields: Any) -> Briefing:
    """Return a briefing of a period with nothing in it, but for the fields given."""
    base: dict[str, Any] = {"period": p, "generated_at": p.now, "headline": _headline(), "trend": (),
                            "categories": (), "sources": (), "townships": (), "villages": (), "departments": (),
                            "majors": (), "long_open": (), "red_cards": (), "map_cases": ()}
    return Briefing(**{**base, **fields})


def _full(p: Period = WEEK) -> Briefing:
    """Return a busy week: rises and falls, a new township, departments past their limits."""
    return _briefing(
        p,
        headline=_headline(registered=(120, 100, 125), resolved=(98, 90, 98),
                           resolution_rate=(98 / 120, 0.80, 0.70), on_time_rate=(0.95, 0.95, None),
                           success_rate=(0.90, 0.91, 0.90), satisfaction_rate=(None, 0.9, None),
                           overdue=(3, 1, 0), open_at_end=(56, 50, 40), major=(2, 0, 1)),
        categories=(Share("02", 42, 30), Share("01", 30, 31), Share("06", 18, 10), Share("07", 10, 2),
                    Share("09", 0, 5)),
        sources=(Share("hotline_12345", 56, 40), Share("walk_in", 30, 30)),
        townships=(Share("t1", 30, 18), Share("t2", 20, 20), Share("t3", 12, 0), Share("t4", 5, 4)),
        villages=(Share("v1", 9, 3), Share("v2", 4, 4)),
        departments=(DeptLine(Group("d2"), 2), DeptLine(Group("d1", resolved=10, on_time=6), 5),
                     DeptLine(Group("d3", resolved=5, on_time=5), 0)),
        red_cards=(_case(1),), long_open=(_case(2), _case(3)))


def test_a_busy_running_week_reads_as_a_work_report() -> None:
    # 120 on 100 is +20.0%, on 125 is −4.0%; 98 on 90 is +8.9%; 98/120 = 81.67% against 80% is +1.7 points;
    # 化解率 90% against 91% is −1.0 point; 回访满意率 unknown: left out. Shares of 120: 42 = 35.0%, 30 = 25.0%,
    # 18 = 15.0%, 56 = 46.7%. Rises: t1 +12 on 18 = 66.7%, t3 +12 on none, t4 +1 on 4 = 25.0%; t2 flat.
    assert summary(_full(), NAMES, "zh-CN") == [
        "本周全县共受理矛盾纠纷120件，环比上升20.0%，同比下降4.0%。"
        "办结98件，环比上升8.9%；办结率81.7%，环比上升1.7个百分点；按期办结率95.0%，环比持平；"
        "化解率90.0%，环比下降1.0个百分点。目前在办56件；统计期内超期3件。",
        "从类别看，受理量居前的是邻里类42件（占35.0%）、婚恋家庭类30件（占25.0%）、合同类18件（占15.0%）；"
        "从来源看，以12345热线为主，56件，占46.7%。",
        "从区域看，受理量环比增加较多的乡镇是城关镇（+12件，上升66.7%）、柳树乡（+12件，上期为0）、"
        "东坡乡（+1件，上升25.0%）；受理量最多的村（社区）是东关村，9件。",
        "从部门看，存在超期的部门是住建局（超期5件，按期办结率60.0%）、人社局（超期2件）。",
        "本周发生重大、群体性事件2件；目前红牌督办在办1件；目前在办超过30天的长期未结案件2件。",
        "（数据截至17:40，统计期未结束）",
    ]


def test_a_closed_period_speaks_of_its_end_and_has_no_running_note() -> None:
    text = summary(_full(LAST_WEEK), NAMES, "zh-CN")
    assert len(text) == 5
    assert text[0].startswith("上周全县共受理矛盾纠纷120件，环比上升20.0%，同比下降4.0%。")
    assert "期末在办56件；统计期内超期3件。" in text[0]
    assert "目前在办" not in text[0]
    assert text[4] == "上周发生重大、群体性事件2件；目前红牌督办在办1件；期末在办超过30天的长期未结案件2件。"
    assert not any("统计期未结束" in p for p in text)


def test_falls_and_flat_counts() -> None:
    # 80 on 100 is −20.0%; 80 a year ago is flat; 10001 on 10000 is +0.01%, which rounds to 0.0: flat.
    fall = _briefing(headline=_headline(registered=(80, 100, 80), resolved=(10001, 10000, 9000)))
    text = summary(fall, NAMES, "zh-CN")[0]
    assert text.startswith("本周全县共受理矛盾纠纷80件，环比下降20.0%，同比持平。")
    assert "办结10001件，环比持平。" in text


def test_an_earlier_period_of_zero_has_nothing_to_compare() -> None:
    # 5 on 0 has no per cent; 0 on 0 is flat; a rate whose earlier period had no denominator is left out in prose.
    b = _briefing(headline=_headline(registered=(5, 0, 0), resolved=(0, 0, 3), resolution_rate=(0.0, None, 0.5)))
    text = summary(b, NAMES, "zh-CN")[0]
    assert text.startswith("本周全县共受理矛盾纠纷5件，环比无可比数据，同比无可比数据。")
    assert "办结0件，环比持平；办结率0.0%。" in text
    assert fmt_change(b.headline["resolution_rate"], "mom", "zh-CN") == "环比无可比数据"
    assert fmt_change(b.headline["resolution_rate"], "yoy", "zh-CN") == "同比下降50.0个百分点"
    assert fmt_change(b.headline["resolved"], "yoy", "zh-CN") == "同比下降100.0%"


def test_an_empty_week() -> None:
    assert summary(_briefing(), NAMES, "zh-CN") == [
        "本周全县共受理矛盾纠纷0件，环比持平，同比持平。办结0件，环比持平。目前在办0件；统计期内超期0件。",
        "从部门看，统计期内无部门办理数据。",
        "本周未发生重大、群体性事件；目前无红牌督办案件；目前无在办超过30天的长期未结案件。",
        "（数据截至17:40，统计期未结束）",
    ]


def test_no_department_past_its_limits() -> None:
    b = _briefing(departments=(DeptLine(Group("d1", resolved=4, on_time=4), 0), DeptLine(Group("d2"), 0)))
    assert "从部门看，各部门均在时限内办结。" in summary(b, NAMES, "zh-CN")
    assert "Every department kept to its deadlines." in summary(b, NAMES, "en")


def test_more_departments_past_their_limits_than_are_named() -> None:
    # Worst first by missed deadlines, whatever order they come in; the fourth is counted, not named.
    depts = tuple(DeptLine(Group(code, resolved=10, on_time=on_time), late)
                  for code, late, on_time in (("d1", 1, 9), ("d2", 4, 5), ("d3", 7, 2), ("d4", 3, 8), ("d5", 0, 10)))
    text = summary(_briefing(departments=depts), NAMES, "zh-CN")
    assert ("从部门看，4个部门存在超期，超期较多的是司法局（超期7件，按期办结率20.0%）、"
            "人社局（超期4件，按期办结率50.0%）、城管局（超期3件，按期办结率80.0%）。") in text


def test_no_township_rose() -> None:
    b = _briefing(townships=(Share("t1", 10, 12), Share("t2", 3, 3)), villages=(Share("v2", 4, 1),))
    assert "从区域看，各乡镇受理量环比均未增加；受理量最多的村（社区）是西岭村，4件。" in summary(b, NAMES, "zh-CN")


def test_full_case_lists_may_stand_for_more() -> None:
    # The lists hold at most 20 cases (CASE_LIST_MAX): a full list is said as "20 or more".
    b = _briefing(LAST_WEEK, red_cards=tuple(_case(i) for i in range(20)), long_open=tuple(_case(i) for i in range(19)))
    assert "目前红牌督办在办20件以上；期末在办超过30天的长期未结案件19件。" in summary(b, NAMES, "zh-CN")[-1]


def test_unknown_codes_show_as_codes() -> None:
    b = _briefing(categories=(Share("15", 3, 0),), sources=(Share("fax", 3, 0),), townships=(Share("t9", 3, 0),),
                  headline=_headline(registered=(3, 0, 0)))
    text = "".join(summary(b, {}, "zh-CN"))
    assert "15类3件（占100.0%）" in text
    assert "以fax为主，3件，占100.0%" in text
    assert "t9（+3件，上期为0）" in text


def test_english_is_plainer() -> None:
    text = summary(_full(), NAMES_EN, "en")
    assert text[0] == ("This week the county registered 120 cases, up 20.0% on the previous period, down 4.0% on a "
                       "year earlier. Resolved: 98, up 8.9% on the previous period; resolution rate 81.7%, up 1.7 "
                       "points on the previous period; resolved on time 95.0%, level with the previous period; "
                       "settled 90.0%, down 1.0 points on the previous period. Open now: 56; deadlines missed in "
                       "the period: 3.")
    assert text[1] == ("The largest categories were Neighbourhood 42 (35.0%), Marriage and family 30 (25.0%), "
                       "Contracts 18 (15.0%); most came through 12345 hotline: 56 (46.7%).")
    assert text[2] == ("The largest rises on the previous period were in Chengguan (+12, up 66.7%), Liushu (+12, "
                       "none before), t4 (+1, up 25.0%); the village with the most cases was Dongguan: 9.")
    assert text[3] == "Departments that missed deadlines: Housing (5 missed, 60.0% on time), Labour (2 missed)."
    assert text[4] == ("Major or group incidents: 2; open under red-card supervision now: 1; open for over 30 days "
                       "now: 2.")
    assert text[5] == "(Figures as of 17:40; the period is not over.)"
    # 12340 on 10000 is +23.4%.
    big = _briefing(headline=_headline(registered=(12340, 10000, 0)))
    assert summary(big, NAMES_EN, "en")[0].startswith(
        "This week the county registered 12,340 cases, up 23.4% on the previous period, nothing to compare with a "
        "year earlier.")


def test_fmt_value() -> None:
    assert fmt_value(Figure("registered", 128, 100, 90), "zh-CN") == "128件"
    assert fmt_value(Figure("registered", 12345, 100, 90), "en") == "12,345"
    assert fmt_value(Figure("on_time_rate", 0.864, None, None), "zh-CN") == "86.4%"
    assert fmt_value(Figure("on_time_rate", None, 0.5, None), "zh-CN") == "—"
    assert fmt_value(Figure("overdue", math.nan, 1, 1), "en") == "—"


def test_fmt_change() -> None:
    # 144 on 128 is +12.5%; 0.864 against 0.832 is +3.2 points; 0.80 against 0.85 is −5.0 points.
    count = Figure("registered", 144, 128, 160)
    assert fmt_change(count, "mom", "zh-CN") == "环比上升12.5%"
    assert fmt_change(count, "yoy", "zh-CN") == "同比下降10.0%"
    assert fmt_change(Figure("on_time_rate", 0.864, 0.832, 0.864), "mom", "zh-CN") == "环比上升3.2个百分点"
    assert fmt_change(Figure("on_time_rate", 0.864, 0.832, 0.864), "yoy", "zh-CN") == "同比持平"
    assert fmt_change(Figure("success_rate", 0.80, 0.85, None), "mom", "en") == "down 5.0 points on the previous period"
    assert fmt_change(Figure("success_rate", 0.80, 0.85, None), "yoy", "en") == "nothing to compare with a year earlier"
    assert fmt_change(Figure("registered", None, 3, 3), "mom", "zh-CN") == "—"
    assert fmt_change(Figure("registered", 3, None, 3), "mom", "zh-CN") == "—"


def test_period_labels() -> None:
    assert period_label(WEEK, "zh-CN") == "2026年11月23日至11月26日（本周，截至17:40）"
    assert period_label(WEEK, "en") == "2026-11-23 to 2026-11-26 (this week, as of 17:40)"
    assert period_label(LAST_WEEK, "zh-CN") == "2026年11月16日至11月22日（上周）"
    assert period_label(period("today", NOW), "zh-CN") == "2026年11月26日（今日，截至17:40）"
    assert period_label(period("month", NOW), "zh-CN") == "2026年11月1日至11月26日（本月，截至17:40）"
    assert period_label(period("last_month", NOW), "en") == "2026-10-01 to 2026-10-31 (last month)"
    new_year = period("custom", NOW, first=date(2025, 12, 29), last=date(2026, 1, 4))
    assert period_label(new_year, "zh-CN") == "2025年12月29日至2026年1月4日"
    to_today = period("custom", NOW, first=date(2026, 11, 20), last=date(2026, 11, 26))
    assert period_label(to_today, "zh-CN") == "2026年11月20日至11月26日（截至17:40）"
    assert summary(_briefing(to_today), NAMES, "zh-CN")[0].startswith("统计期内全县共受理矛盾纠纷0件")


def test_kouing_names_every_headline_figure_and_the_comparisons() -> None:
    lines = kouing("zh-CN")
    assert [name for name, _ in lines] == ["受理量", "办结量", "办结率", "按期办结率", "化解率", "回访满意率", "超期",
                                           "在办（期末）", "重大/群体性事件", "环比", "同比", "增减"]
    definitions = dict(lines)
    assert definitions["办结率"] == "办结量 / 同期受理量。"
    assert "未设时限的视为按期" in definitions["按期办结率"]
    assert "52周前" in definitions["同比"]
    assert "百分点" in definitions["增减"]
    english = kouing("en")
    assert len(english) == 12
    assert all(name and definition for name, definition in english)


_counts = st.one_of(st.none(), st.integers(0, 10**6).map(float), st.just(math.nan), st.just(math.inf))
_rates = st.one_of(st.none(), st.floats(0, 1), st.just(math.nan))
_shares = st.lists(st.builds(Share, st.sampled_from(["01", "02", "t1", "t2", "v1", "x"]), st.integers(0, 500),
                             st.integers(0, 500)), max_size=6).map(tuple)


@st.composite
def _briefings(draw: st.DrawFn) -> Briefing:
    headline = {key: Figure(key, *(draw(_rates if key.endswith("_rate") else _counts) for _ in range(3)))
                for key in HEADLINE_KEYS}
    depts = tuple(DeptLine(Group(draw(st.sampled_from(["d1", "d2", "zz"])), resolved=r,
                                 on_time=draw(st.integers(0, r))), draw(st.integers(0, 9)))
                  for r in draw(st.lists(st.integers(0, 20), max_size=5)))
    p = draw(st.sampled_from([WEEK, LAST_WEEK, period("today", NOW), period("last_month", NOW)]))
    return _briefing(p, headline=headline, categories=draw(_shares), sources=draw(_shares), townships=draw(_shares),
                     villages=draw(_shares), departments=depts,
                     red_cards=tuple(_case(i) for i in range(draw(st.integers(0, 21)))))


@settings(max_examples=200, deadline=None)
@given(_briefings(), st.sampled_from(["zh-CN", "en"]))
def test_no_none_or_nan_whatever_the_figures(b: Briefing, lang: str) -> None:
    text = summary(b, NAMES, lang)
    # Three paragraphs or more when 受理量 is known (as a store always has it); never more than six.
    assert 2 <= len(text) <= 6
    shown = [*text, *(fmt_value(f, lang) for f in b.headline.values()),
             *(fmt_change(f, w, lang) for f in b.headline.values() for w in ("mom", "yoy"))]
    for piece in shown:
        assert piece
        for bad in ("None", "nan", "inf", "{", "}"):
            assert bad not in piece, (bad, piece)


def test_a_summary_of_a_filled_store(engine: Engine, county: County) -> None:
    # 600 synthetic cases over the last 60 days; the month's 受理量 is counted here straight from the cases.
    now = datetime.fromisoformat("2026-11-26T17:40:00+08:00")
    fill_cases(engine, county, 600, now=now, days=60)
    p = period("month", now)
    with engine.connect() as conn:
        registered = conn.execute(select(func.count()).select_from(Case).where(
            Case.registered_at >= datetime.fromisoformat("2026-11-01T00:00:00+08:00"),
            Case.registered_at < now)).scalar_one()
    assert registered > 0
    names: Mapping[str, Mapping[str, str]] = store_names(engine, "zh-CN")
    b = build(engine, p)
    text = summary(b, names, "zh-CN")
    assert text[0].startswith(f"本月全县共受理矛盾纠纷{registered}件，")
    assert text[-1] == "（数据截至17:40，统计期未结束）"
    assert not any(bad in piece for piece in text for bad in ("None", "nan"))
    english = summary(b, store_names(engine, "en"), "en")
    assert english[0].startswith(f"This month the county registered {registered} cases")
