"""Write the briefing's summary in the sober style of a 工作报告, and its 口径 lines. Pure: no I/O.

Every number comes from a Briefing (datafeeds/briefing.py, where the 口径 are defined); every phrase is a whole
sentence or clause in layouts/i18n.py (`btext.*`), so a county can reword it. A figure that is unknown (None, or not
a finite number) leaves its clause out rather than print "None" or "nan".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from datafeeds.briefing import CASE_LIST_MAX, LONG_OPEN_DAYS, Briefing, DeptLine, Figure, Period, Share
from layouts.i18n import CATALOGUE, say, t

Against = Literal["mom", "yoy"]
Direction = Literal["up", "down", "flat", "none"]
# How many groups a paragraph names: categories, rising townships, departments past their limits.
NAMED = 3
# The 口径 lines, in the order the page and the exports show them: the headline figures, then the comparisons.
KOUING_KEYS = ("registered", "resolved", "resolution_rate", "on_time_rate", "success_rate", "satisfaction_rate",
               "overdue", "open_at_end", "major", "mom", "yoy", "change")
# Labels the wall or the desk already carry with the same 口径; the rest are the briefing's own.
_SHARED_LABELS = {"success_rate": "counter.success_rate", "satisfaction_rate": "counter.satisfaction_rate",
                  "on_time_rate": "dept.on_time"}


def _known(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _count(n: float, lang: str) -> str:
    """Return a count's digits: plain in Chinese (as reports print them), grouped by thousands in English."""
    return f"{round(n):,}" if lang == "en" else str(round(n))


def _pct(x: float) -> str:
    return f"{abs(x):.1f}"


def figure_label(key: str, lang: str) -> str:
    """Return the name of a headline figure or comparison (a key of KOUING_KEYS) as the briefing shows it."""
    shared = _SHARED_LABELS.get(key)
    return t(shared, lang) if shared in CATALOGUE else say(f"btext.figure.{key}", lang)


def kouing(lang: str) -> list[tuple[str, str]]:
    """Return the 口径 lines (figure name, definition) that go wherever the briefing's figures are shown."""
    return [(figure_label(key, lang), say(f"btext.kouing.{key}", lang, days=LONG_OPEN_DAYS)) for key in KOUING_KEYS]


def fmt_value(fig: Figure, lang: str) -> str:
    """Return a headline figure's value: 「128件」 for a count, 「86.4%」 for a rate, 「—」 when unknown."""
    if fig.value is None or not _known(fig.value):
        return say("btext.none", lang)
    if fig.is_rate:
        return say("btext.rate", lang, pct=_pct(fig.value * 100.0))
    return say("btext.count", lang, n=_count(fig.value, lang))


def _compare(fig: Figure, against: Against) -> tuple[Direction, float] | None:
    """Return how a figure moved against an earlier period, or None when it cannot be said at all.

    "none" means no comparable figure: a count whose earlier period had none (no per cent of nothing), or a rate
    whose earlier period had no denominator. A change that rounds to 0.0 is flat.
    """
    earlier = fig.previous if against == "mom" else fig.year_ago
    if fig.value is None or not _known(fig.value):
        return None
    if fig.is_rate:
        if earlier is None or not _known(earlier):
            return ("none", 0.0)
    elif earlier is None or not _known(earlier):
        return None
    elif earlier == 0:
        return ("flat", 0.0) if fig.value == 0 else ("none", 0.0)
    change = fig.change(earlier)
    if change is None or not _known(change):
        return None
    if round(change, 1) == 0:
        return ("flat", 0.0)
    return ("up" if change > 0 else "down", change)


def _change_text(fig: Figure, moved: tuple[Direction, float], against: Against, lang: str) -> str:
    direction, change = moved
    if direction in ("up", "down") and fig.is_rate:
        return say(f"btext.{against}.{direction}_pp", lang, pp=_pct(change))
    return say(f"btext.{against}.{direction}", lang, pct=_pct(change))


def fmt_change(fig: Figure, against: Against, lang: str) -> str:
    """Return a figure's 环比 or 同比: 「环比上升12.5%」 for a count, 「环比上升3.2个百分点」 for a rate, 「环比持平」,
    「环比无可比数据」 when the earlier period had nothing to compare with, 「—」 when the figure is unknown."""
    moved = _compare(fig, against)
    return say("btext.none", lang) if moved is None else _change_text(fig, moved, against, lang)


def _date(day: date, lang: str, *, year: bool = True) -> str:
    return say("btext.date" if year else "btext.date_same_year", lang, y=day.year, m=day.month, d=day.day)


def _hm(p: Period) -> str:
    return p.now.astimezone(p.tz).strftime("%H:%M")


def period_label(p: Period, lang: str) -> str:
    """Return the period's dates and kind, e.g. 「2026年11月23日至11月26日（本周，截至17:40）」."""
    first, last = p.current.first_day, p.current.last_day
    label = _date(first, lang) if first == last else say(
        "btext.range", lang, first=_date(first, lang), last=_date(last, lang, year=last.year != first.year))
    notes = [] if p.kind == "custom" else [say(f"btext.kind.{p.kind}", lang)]
    if p.to_now:
        notes.append(say("btext.as_of", lang, hm=_hm(p)))
    return say("btext.label_notes", lang, label=label, notes=say("btext.comma", lang).join(notes)) if notes else label


def _sentence(clauses: Sequence[str], lang: str) -> str:
    """Return clauses joined into one sentence; in English its first letter is a capital."""
    text = say("btext.comma", lang).join(c for c in clauses if c)
    if not text:
        return ""
    return text[0].upper() + text[1:] + say("btext.stop", lang)


def _paragraph(sentences: Sequence[str], lang: str) -> str:
    return say("btext.sentence_sep", lang).join(s for s in sentences if s)


def _with_changes(head: str, fig: Figure, lang: str, againsts: Sequence[Against], *, skip_none: bool) -> str:
    """Return a figure's clause followed by its comparisons (those that can be said), joined by commas."""
    parts = [head]
    for against in againsts:
        moved = _compare(fig, against)
        if moved is not None and not (skip_none and moved[0] == "none"):
            parts.append(_change_text(fig, moved, against, lang))
    return say("btext.comma", lang).join(parts)


def _count_clause(b: Briefing, key: str, template: str, lang: str, againsts: Sequence[Against] = (),
                  **fields: str) -> str:
    fig = b.headline.get(key)
    if fig is None or fig.value is None or not _known(fig.value):
        return ""
    return _with_changes(say(template, lang, n=_count(fig.value, lang), **fields), fig, lang, againsts,
                         skip_none=False)


def _rate_clause(b: Briefing, key: str, lang: str) -> str:
    fig = b.headline.get(key)
    if fig is None or fig.value is None or not _known(fig.value):
        return ""
    # A rate's earlier period with no denominator says nothing worth a clause in prose.
    return _with_changes(say(f"btext.{key}", lang, v=fmt_value(fig, lang)), fig, lang, ("mom",), skip_none=True)


def _overall(b: Briefing, lang: str, when: str) -> str:
    """Return the 总体 paragraph: 受理量 with 环比/同比, 办结量 and the rates, 在办 and 超期."""
    semi = say("btext.semicolon", lang)
    handled = [_count_clause(b, "resolved", "btext.resolved", lang, ("mom",))]
    handled += [_rate_clause(b, key, lang)
                for key in ("resolution_rate", "on_time_rate", "success_rate", "satisfaction_rate")]
    open_key = "btext.open_now" if b.period.to_now else "btext.open_at_end"
    standing = [_count_clause(b, "open_at_end", open_key, lang), _count_clause(b, "overdue", "btext.overdue", lang)]
    return _paragraph([
        _sentence([_count_clause(b, "registered", "btext.registered", lang, ("mom", "yoy"), when=when)], lang),
        _sentence([semi.join(c for c in handled if c)], lang),
        _sentence([semi.join(c for c in standing if c)], lang),
    ], lang)


def _share_of(n: int, total: int) -> str:
    return _pct(n / total * 100.0)


def _mix(b: Briefing, names: Mapping[str, Mapping[str, str]], lang: str) -> str:
    """Return the 类别与来源 paragraph: the top categories with their share of 受理量, and the main source."""
    cats = [s for s in b.categories if s.n > 0]
    sources = sorted((s for s in b.sources if s.n > 0), key=lambda s: -s.n)
    registered = b.headline.get("registered")
    clauses = []
    if cats:
        total = _total(registered, cats)
        cat_names = names.get("categories", {})
        items = [say("btext.category_item", lang, name=cat_names.get(s.code, s.code), n=_count(s.n, lang),
                     share=_share_of(s.n, total)) for s in sorted(cats, key=lambda s: -s.n)[:NAMED]]
        clauses.append(say("btext.categories", lang, items=say("btext.list_sep", lang).join(items)))
    if sources:
        top = sources[0]
        key = f"source.{top.code}"
        clauses.append(say("btext.source", lang, name=t(key, lang) if key in CATALOGUE else top.code,
                           n=_count(top.n, lang), share=_share_of(top.n, _total(registered, sources))))
    return _sentence([say("btext.semicolon", lang).join(clauses)], lang)


def _total(registered: Figure | None, groups: Sequence[Share]) -> int:
    """Return the 受理量 a share is taken of: the headline's when known, else the groups' own sum."""
    if registered is not None and registered.value is not None and _known(registered.value) and registered.value > 0:
        return round(registered.value)
    return sum(s.n for s in groups)


def _places(b: Briefing, names: Mapping[str, Mapping[str, str]], lang: str) -> str:
    """Return the 区域 paragraph: the townships with the largest rises, and the top hot-spot village."""
    places = names.get("places", {})
    rising = sorted((s for s in b.townships if s.rise > 0), key=lambda s: (-s.rise, -s.n, s.code))[:NAMED]
    clauses = []
    if rising:
        items = [say("btext.township_item", lang, name=places.get(s.code, s.code), rise=_count(s.rise, lang),
                     pct=_pct(s.rise / s.previous * 100.0)) if s.previous > 0 else
                 say("btext.township_item_new", lang, name=places.get(s.code, s.code), rise=_count(s.rise, lang))
                 for s in rising]
        clauses.append(say("btext.townships", lang, items=say("btext.list_sep", lang).join(items)))
    elif b.townships:
        clauses.append(say("btext.townships_flat", lang))
    hot = sorted((s for s in b.villages if s.n > 0), key=lambda s: -s.n)
    if hot:
        clauses.append(say("btext.village", lang, name=places.get(hot[0].code, hot[0].code),
                           n=_count(hot[0].n, lang)))
    return _sentence([say("btext.semicolon", lang).join(clauses)], lang)


def _dept_item(d: DeptLine, names: Mapping[str, str], lang: str) -> str:
    name = names.get(d.code, d.code)
    rate = d.group.on_time_rate
    if rate is None or not _known(rate):
        return say("btext.dept_item_bare", lang, name=name, n=_count(d.overdue, lang))
    return say("btext.dept_item", lang, name=name, n=_count(d.overdue, lang),
               rate=say("btext.rate", lang, pct=_pct(rate * 100.0)))


def _departments(b: Briefing, names: Mapping[str, Mapping[str, str]], lang: str) -> str:
    """Return the 部门 paragraph: the departments past their limits, worst first, or that all kept to them (which
    is said only when there are departments' figures: with none, "all on time" would claim what nobody measured)."""
    if not b.departments:
        return _sentence([say("btext.depts_none", lang)], lang)
    late = sorted((d for d in b.departments if d.overdue > 0), key=lambda d: -d.overdue)
    if not late:
        return _sentence([say("btext.depts_on_time", lang)], lang)
    items = say("btext.list_sep", lang).join(_dept_item(d, names.get("departments", {}), lang) for d in late[:NAMED])
    if len(late) > NAMED:
        return _sentence([say("btext.depts_late_more", lang, k=_count(len(late), lang), items=items)], lang)
    return _sentence([say("btext.depts_late", lang, items=items)], lang)


def _listed(n: int, lang: str) -> str:
    """Return the count of a case list, which holds at most CASE_LIST_MAX: a full list may stand for more."""
    return say("btext.count_at_least" if n >= CASE_LIST_MAX else "btext.count", lang, n=_count(n, lang))


def _incidents(b: Briefing, lang: str, when: str) -> str:
    """Return the 重大事件 paragraph: major and group incidents, red cards, long-open cases."""
    clauses = []
    major = b.headline.get("major")
    if major is not None and major.value is not None and _known(major.value):
        clauses.append(say("btext.majors", lang, when=when, count=say("btext.count", lang,
                                                                       n=_count(major.value, lang)))
                       if major.value > 0 else say("btext.majors_none", lang, when=when))
    clauses.append(say("btext.red_cards", lang, count=_listed(len(b.red_cards), lang)) if b.red_cards
                   else say("btext.red_cards_none", lang))
    open_key = "btext.long_open_now" if b.period.to_now else "btext.long_open"
    clauses.append(say(open_key, lang, days=LONG_OPEN_DAYS, count=_listed(len(b.long_open), lang)) if b.long_open
                   else say(f"{open_key}_none", lang, days=LONG_OPEN_DAYS))
    return _sentence([say("btext.semicolon", lang).join(clauses)], lang)


def summary(b: Briefing, names: Mapping[str, Mapping[str, str]], lang: str) -> list[str]:
    """Return the written summary's paragraphs (3 to 6): overall, categories and sources, places, departments,
    major incidents, and a note when the period is still running.

    `names` is datafeeds.queries.names(): display names of places, departments and categories by code.
    """
    when = say(f"btext.when.{b.period.kind}", lang)
    paragraphs = [_overall(b, lang, when), _mix(b, names, lang), _places(b, names, lang),
                  _departments(b, names, lang), _incidents(b, lang, when)]
    if b.period.to_now:
        paragraphs.append(say("btext.running", lang, hm=_hm(b.period)))
    return [p for p in paragraphs if p]
