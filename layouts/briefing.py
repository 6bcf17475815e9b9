"""Build the leaders' briefing (/briefing) and its charts. Pure: no I/O.

The charts are light (white paper, dark ink) for print and a projector: the briefing is read off paper or a
meeting-room screen, not the dark wall. They are shared with the HTML export (dashboard/briefingdoc.py), so
they take a Briefing and names, never a request. Fonts are a stack of those county PCs and the server have:
the app ships no web fonts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html
from plotly.subplots import make_subplots

from datafeeds.briefing import HEADLINE_KEYS, PERIOD_KINDS, Briefing, CaseLine, DeptLine, Share
from layouts import briefingtext
from layouts.case import state_name
from layouts.i18n import say, t
from layouts.shell import with_lang

ROOT = "briefing-root"
LOCATION = "briefing-url"  # the page's own view of the URL: written when the period changes, read on back/forward
PERIOD = "briefing-period"
CUSTOM = "briefing-custom"  # the custom range's picker, shown only for 自定义
DATES = "briefing-dates"
CONTENT = "briefing-content"
WHEN = "briefing-when"  # the period's dates, as the written summary names them
MAP = "briefing-map"
EXPORT_HTML = "briefing-export-html"
EXPORT_PDF = "briefing-export-pdf"

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif'
INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
CURRENT = "#1f5fbf"  # this period
RESOLVED = "#2f8f5b"
BEFORE = "#a8b3c1"  # the period compared with
RATE = "#1f5fbf"
SLOW = "#c8553d"
ROW_PX = 28
LEAGUE_MAX = 15  # departments drawn in the league chart (worst first); the table lists them all


# --- the charts (also used by the HTML export) ---------------------------------------------------------------------

def _light(fig: go.Figure, height: int, **layout: Any) -> go.Figure:
    """Give a figure the briefing's light, print-friendly look (no template: it alone weighs ~6 KB)."""
    axis = {"gridcolor": GRID, "linecolor": GRID, "zeroline": False, "fixedrange": True,
            "tickfont": {"color": INK}, "title": {"font": {"color": MUTED}}}
    # The legend sits top right, level with the title, where no axis title runs into it.
    base: dict[str, Any] = {"margin": {"l": 60, "r": 20, "t": 50, "b": 40},
                            "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"}}
    fig.update_layout(template="none", height=height, paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
                      font={"family": FONT, "color": INK, "size": 13}, hoverlabel={"font": {"family": FONT}},
                      **{**base, **layout})
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    return fig


def _counts_axis(most: int) -> dict[str, Any]:
    """Return a count axis's settings: whole numbers only (a small count's axis would otherwise tick 0.5)."""
    return {"rangemode": "tozero", "tickformat": "d", **({"dtick": 1} if most <= 8 else {})}


def _nothing(fig: go.Figure, lang: str) -> go.Figure:
    fig.add_annotation(text=say("briefing.nothing", lang), showarrow=False, xref="paper", yref="paper", x=0.5,
                       y=0.5, font={"color": MUTED, "size": 14})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _bucket_label(start: datetime, step: str) -> str:
    return start.strftime("%H:00") if step == "hour" else start.strftime("%m-%d")


def trend_chart(b: Briefing, lang: str) -> go.Figure:
    """Return the trend: cases registered and resolved per hour, day or week, and the previous period's registered
    in the matching buckets (dashed)."""
    step = b.period.step
    x = [_bucket_label(p.start, step) for p in b.trend]
    fig = go.Figure()
    _light(fig, 320, title={"text": say("briefing.chart.trend", lang), "font": {"size": 15}},
           hovermode="x unified")
    if not b.trend:
        return _nothing(fig, lang)
    for name, ys, colour, dash in (
            (say("briefing.series.registered", lang), [p.registered for p in b.trend], CURRENT, "solid"),
            (say("briefing.series.resolved", lang), [p.resolved for p in b.trend], RESOLVED, "solid"),
            (say("briefing.series.previous", lang), [p.previous_registered for p in b.trend], BEFORE, "dash")):
        fig.add_trace(go.Scatter(x=x, y=ys, name=name, mode="lines+markers", line={"color": colour, "dash": dash,
                                                                                  "width": 2},
                                 marker={"size": 5}))
    fig.update_xaxes(type="category", title={"text": say(f"briefing.axis.{step}", lang)})
    fig.update_yaxes(title={"text": say("briefing.axis.cases", lang)},
                     **_counts_axis(max(max(p.registered, p.resolved, p.previous_registered) for p in b.trend)))
    return fig


def _bars(fig: go.Figure, shares: Sequence[Share], labels: list[str], lang: str) -> None:
    """Add this period's and the previous period's horizontal bars of some groups, most first from the top."""
    fig.add_trace(go.Bar(y=labels, x=[s.n for s in shares], orientation="h", marker_color=CURRENT,
                         name=say("briefing.series.current", lang), text=[s.n for s in shares],
                         textposition="outside", cliponaxis=False))
    fig.add_trace(go.Bar(y=labels, x=[s.previous for s in shares], orientation="h", marker_color=BEFORE,
                         name=say("briefing.series.before", lang)))
    fig.update_layout(barmode="group", bargap=0.25, margin={"l": 140, "r": 40, "t": 40, "b": 40})
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    fig.update_xaxes(title={"text": say("briefing.axis.cases", lang)},
                     **_counts_axis(max(max(s.n, s.previous) for s in shares)))


def mix_chart(shares: Sequence[Share], names: Mapping[str, str], title: str, lang: str) -> go.Figure:
    """Return a mix (categories or sources): each group's cases this period and the previous one, most first."""
    fig = go.Figure()
    _light(fig, max(200, 90 + 2 * ROW_PX * len(shares)), title={"text": title, "font": {"size": 15}})
    if not any(s.n or s.previous for s in shares):
        return _nothing(fig, lang)
    _bars(fig, shares, [names.get(s.code, s.code) for s in shares], lang)
    return fig


def township_chart(b: Briefing, names: Mapping[str, str], lang: str) -> go.Figure:
    """Return the township ranking: each township's cases this period beside the previous period's."""
    fig = go.Figure()
    _light(fig, max(220, 90 + 2 * ROW_PX * len(b.townships)),
           title={"text": say("briefing.chart.townships", lang), "font": {"size": 15}})
    if not b.townships:
        return _nothing(fig, lang)
    _bars(fig, b.townships, [names.get(s.code, s.code) for s in b.townships], lang)
    return fig


def league_chart(b: Briefing, names: Mapping[str, str], lang: str) -> go.Figure:
    """Return the department league: 按期办结率 and the median 办结时长 side by side, worst first from the top."""
    shown = [d for d in b.departments if d.group.resolved][:LEAGUE_MAX]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=(say("briefing.chart.on_time", lang), say("briefing.chart.resolve_p50", lang)))
    _light(fig, max(220, 100 + ROW_PX * len(shown)),
           title={"text": say("briefing.chart.league", lang), "font": {"size": 15}}, showlegend=False,
           margin={"l": 140, "r": 40, "t": 70, "b": 40})
    if not shown:
        return _nothing(fig, lang)
    labels = [names.get(d.code, d.code) for d in shown]
    rates = [round(100 * (d.group.on_time_rate or 0.0), 1) for d in shown]
    medians = [round(d.group.resolve.p50, 1) if d.group.resolve else None for d in shown]
    fig.add_trace(go.Bar(y=labels, x=rates, orientation="h", marker_color=RATE, text=[f"{r:.1f}%" for r in rates],
                         textposition="outside", cliponaxis=False, name=say("briefing.chart.on_time", lang)),
                  row=1, col=1)
    fig.add_trace(go.Bar(y=labels, x=medians, orientation="h", marker_color=SLOW,
                         text=[f"{m:.1f}" if m is not None else "" for m in medians], textposition="outside",
                         cliponaxis=False, name=say("briefing.chart.resolve_p50", lang)), row=1, col=2)
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    fig.update_xaxes(range=[0, 110], ticksuffix="%", row=1, col=1)
    fig.update_xaxes(rangemode="tozero", title={"text": say("briefing.axis.hours", lang)}, row=1, col=2)
    return fig


# --- the page ------------------------------------------------------------------------------------------------------

def layout(kind: str, first: date, last: date, today: date, search: str, body: list[Any], lang: str) -> html.Div:
    """Return the page: the period picker (its custom range from `first` to `last`) over a body (`content` or
    `refusal`). `search` is the URL's query as the browser has it, so the page's own URL starts in step."""
    return html.Div(id=ROOT, className="zs-briefing", children=[
        dcc.Location(id=LOCATION, refresh="callback-nav", search=search),
        html.Header(className="zs-briefing-head", children=[
            html.H1(say("briefing.title", lang)),
            html.Nav(className="zs-briefing-nav", children=[
                html.A(say("briefing.desk_link", lang), href=with_lang("/desk", {}, lang)),
                html.A(say("briefing.home_link", lang), href=with_lang("/", {}, lang)),
            ]),
        ]),
        html.Div(className="zs-briefing-controls", children=[
            html.Span(say("briefing.period", lang), id=f"{PERIOD}-label"),
            dcc.RadioItems(id=PERIOD, value=kind if kind in PERIOD_KINDS else "week", inline=True,
                           className="zs-briefing-periods",
                           options=[{"label": say(f"briefing.period.{k}", lang), "value": k} for k in PERIOD_KINDS]),
            html.Div(id=CUSTOM, className="zs-briefing-custom", style=custom_style(kind), children=[
                dcc.DatePickerRange(id=DATES, start_date=first.isoformat(), end_date=last.isoformat(),
                                    max_date_allowed=today.isoformat(), display_format="YYYY-MM-DD",
                                    first_day_of_week=1, minimum_nights=0, clearable=False,
                                    month_format="YYYY年M月" if lang == "zh-CN" else "MMMM YYYY",
                                    start_date_placeholder_text=say("briefing.from", lang),
                                    end_date_placeholder_text=say("briefing.to", lang)),
            ]),
        ]),
        html.Div(id=CONTENT, className="zs-briefing-content", children=body),
    ])


def custom_style(kind: str) -> dict[str, str]:
    """Return the custom range picker's style: shown only for a custom period."""
    return {} if kind == "custom" else {"display": "none"}


def refusal(message: str, lang: str) -> list[Any]:
    """Return the body shown for a period that cannot be figured, saying why."""
    return [html.Div(className="zs-briefing-error", role="alert", children=[
        html.H2(say("briefing.bad_period", lang)), html.P(message)])]


def content(b: Briefing, names: Mapping[str, Mapping[str, str]], query: Mapping[str, str], lang: str) -> list[Any]:
    """Return the body of a briefing: when and what it covers, exports, headline figures, the written summary,
    trend, mixes, townships and hot spots, the league, the case lists, the frozen walls and every 口径."""
    places, depts, cats = names["places"], names["departments"], names["categories"]
    tz_name = b.period.tz.key
    kouing = briefingtext.kouing(lang)
    # kouing's lines come in KOUING_KEYS' order: the headline figures' definitions by key
    definitions = {key: definition for key, (_, definition) in zip(briefingtext.KOUING_KEYS, kouing, strict=True)}
    sources = {s.code: t(f"source.{s.code}", lang) for s in b.sources}
    top_cats = {c: cats.get(c, c) for c in (s.code for s in b.categories)}
    return [
        html.Div(className="zs-briefing-period", children=[
            html.Span(briefingtext.period_label(b.period, lang), id=WHEN, className="zs-briefing-when"),
            html.Span(say("briefing.generated", lang, at=b.generated_at.astimezone(b.period.tz)
                          .strftime("%Y-%m-%d %H:%M"), tz=tz_name), className="zs-briefing-muted"),
            html.A(say("briefing.export_html", lang), id=EXPORT_HTML, className="zs-briefing-button",
                   href=with_lang("/briefing/export.html", query, lang), download=""),
            html.A(say("briefing.export_pdf", lang), id=EXPORT_PDF, className="zs-briefing-button",
                   href=with_lang("/briefing/export.pdf", query, lang), download=""),
        ]),
        html.Section(className="zs-briefing-tiles", id="briefing-tiles",
                     children=[tile(b, key, definitions, lang) for key in HEADLINE_KEYS]),
        _section("briefing.h.summary", lang, html.Div(
            [html.P(p) for p in briefingtext.summary(b, names, lang)], id="briefing-summary")),
        _graph("briefing-trend", trend_chart(b, lang)),
        html.Div(className="zs-briefing-pair", children=[
            _graph("briefing-categories", mix_chart(b.categories, top_cats, say("briefing.chart.categories", lang),
                                                    lang)),
            _graph("briefing-sources", mix_chart(b.sources, sources, say("briefing.chart.sources", lang), lang)),
        ]),
        _section("briefing.h.places", lang, html.Div(className="zs-briefing-pair", children=[
            html.Div([_graph("briefing-townships", township_chart(b, places, lang)),
                      share_table("briefing-township-table", b.townships, places, "township", lang)]),
            html.Div([html.Iframe(id=MAP, className="zs-briefing-map", title=say("briefing.map", lang),
                                  src=with_lang("/briefing/map.html", query, lang)),
                      html.H3(say("briefing.h.villages", lang)),
                      share_table("briefing-village-table", b.villages, places, "village", lang)]),
        ])),
        _section("briefing.h.league", lang, html.Div([
            league_table(b.departments, depts, lang),
            _graph("briefing-league", league_chart(b, depts, lang))])),
        _section("briefing.h.majors", lang, case_table("briefing-majors", b.majors, names, tz_name, b, lang)),
        _section("briefing.h.long_open", lang, case_table("briefing-long-open", b.long_open, names, tz_name, b,
                                                          lang)),
        _section("briefing.h.red_cards", lang, case_table("briefing-red-cards", b.red_cards, names, tz_name, b,
                                                          lang)),
        _section("briefing.h.snapshots", lang, snapshot_list(b, lang)),
        _section("briefing.h.kouj", lang, html.Dl(id="briefing-kouj", className="zs-briefing-kouj", children=[
            part for name, definition in kouing for part in (html.Dt(name), html.Dd(definition))])),
    ]


def _section(title: str, lang: str, body: Any) -> html.Section:
    return html.Section(className="zs-briefing-section", children=[html.H2(say(title, lang)), body])


def _graph(id_: str, figure: go.Figure) -> dcc.Graph:
    return dcc.Graph(id=id_, figure=figure, className="zs-briefing-graph",
                     config={"displayModeBar": False, "scrollZoom": False, "doubleClick": False})


def tile(b: Briefing, key: str, definitions: Mapping[str, str], lang: str) -> html.Div:
    """Return one headline figure: its name, value, 环比 and 同比, and its 口径 under it (and on hover)."""
    fig = b.headline[key]
    kouj = say("briefing.kouj", lang, text=definitions[key])
    return html.Div(className="zs-briefing-tile", id=f"briefing-fig-{key}", title=kouj, children=[
        html.Div(briefingtext.figure_label(key, lang), className="zs-briefing-tile-name"),
        html.Div(briefingtext.fmt_value(fig, lang), className="zs-briefing-tile-value"),
        html.Div(className="zs-briefing-tile-changes", children=[
            html.Span(briefingtext.fmt_change(fig, "mom", lang), className="zs-briefing-mom"),
            html.Span(briefingtext.fmt_change(fig, "yoy", lang), className="zs-briefing-yoy"),
        ]),
        html.Div(kouj, className="zs-briefing-tile-kouj"),
    ])


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def share_table(id_: str, shares: Sequence[Share], names: Mapping[str, str], what: str, lang: str) -> Any:
    """Return a ranking of places: rank, name, cases this period, the previous period's and the rise."""
    if not shares:
        return html.P(say("briefing.nothing", lang), className="zs-briefing-muted", id=id_)
    head = html.Thead(html.Tr([html.Th(say(f"briefing.col.{c}", lang)) for c in ("rank", what, "n", "previous",
                                                                                  "rise")]))
    body = html.Tbody([html.Tr([
        html.Td(str(i)), html.Td(names.get(s.code, s.code)), html.Td(str(s.n), className="zs-num"),
        html.Td(str(s.previous), className="zs-num"),
        html.Td(_signed(s.rise), className="zs-num" + (" zs-briefing-up" if s.rise > 0 else ""))])
        for i, s in enumerate(shares, 1)])
    return html.Table(id=id_, className="zs-briefing-table", children=[head, body])


LEAGUE_COLUMNS = ("sign_p50", "sign_p90", "resolve_p50", "resolve_p90", "on_time", "overdue", "returned")


def league_table(lines: Sequence[DeptLine], names: Mapping[str, str], lang: str) -> Any:
    """Return the department league, worst first: 签收时长 and 办结时长 (median and P90, hours), 按期办结率, 超期
    and 回退."""
    if not lines:
        return html.P(say("briefing.nothing", lang), className="zs-briefing-muted", id="briefing-league-table")
    head = html.Thead(html.Tr([html.Th(say("briefing.col.department", lang)),
                               *(html.Th(say(f"briefing.col.{c}", lang)) for c in LEAGUE_COLUMNS)]))
    body = html.Tbody([html.Tr([html.Td(names.get(d.code, d.code)),
                                *(html.Td(league_cell(d, c, lang), className=f"zs-num zs-briefing-{c}")
                                  for c in LEAGUE_COLUMNS)]) for d in lines])
    return html.Div([html.Table(id="briefing-league-table", className="zs-briefing-table", children=[head, body]),
                     html.P(say("briefing.league_note", lang), className="zs-briefing-note")])


def league_cell(d: DeptLine, column: str, lang: str) -> str:
    """Return one cell of the league ("—" where the period has nothing to measure)."""
    g = d.group
    if column == "overdue":
        return str(d.overdue)
    if column == "returned":
        return str(g.returned)
    if column == "on_time":
        rate = g.on_time_rate
        return say("briefing.rate_cell", lang, pct=f"{100 * rate:.1f}", ok=g.on_time, n=g.resolved) \
            if rate is not None else "—"
    spread = g.sign if column.startswith("sign") else g.resolve
    if spread is None:
        return "—"
    return f"{spread.p50 if column.endswith('p50') else spread.p90:.1f}"


CASE_COLUMNS = ("case_no", "registered_at", "title", "category", "place", "state", "department", "marks")


def case_table(id_: str, lines: Sequence[CaseLine], names: Mapping[str, Mapping[str, str]], tz_name: str,
               b: Briefing, lang: str) -> Any:
    """Return a list of cases; a case number opens the case at the desk."""
    if not lines:
        return html.P(say("briefing.no_cases", lang), className="zs-briefing-muted", id=id_)
    places, depts, cats = names["places"], names["departments"], names["categories"]
    head = html.Thead(html.Tr([html.Th(say(f"briefing.col.{c}", lang)) for c in CASE_COLUMNS]))
    rows = [html.Tr([
        html.Td(html.A(c.case_no, href=with_lang(f"/desk/case/{c.case_no}", {}, lang), className="zs-case-no")),
        html.Td(c.registered_at.astimezone(b.period.tz).strftime("%Y-%m-%d %H:%M")),
        html.Td(c.title),
        html.Td(cats.get(c.category, c.category)),
        html.Td(" · ".join(x for x in (places.get(c.township, c.township),
                                       places.get(c.village, c.village) if c.village else "") if x)),
        html.Td(state_name(c.state, lang)),
        html.Td(depts.get(c.department, c.department) if c.department else "—"),
        html.Td(marks(c, lang)),
    ]) for c in lines]
    return html.Div([html.Table(id=id_, className="zs-briefing-table", children=[head, html.Tbody(rows)]),
                     html.P(say("briefing.times_in", lang, tz=tz_name), className="zs-briefing-note")])


def marks(c: CaseLine, lang: str) -> str:
    """Return what sets a case apart: grade, scale, group, people involved, supervision."""
    out = []
    if c.grade in ("01", "02"):
        out.append(say(f"briefing.grade.{c.grade}", lang))
    if c.scale in ("02", "03"):
        out.append(say(f"briefing.scale.{c.scale}", lang))
    elif c.is_group:
        out.append(say("briefing.group", lang))
    if c.people_involved > 1:
        out.append(say("briefing.people", lang, n=c.people_involved))
    if c.supervision in ("yellow", "red"):
        out.append(say(f"case.supervision.{c.supervision}", lang))
    return " · ".join(out) or "—"


def snapshot_list(b: Briefing, lang: str) -> Any:
    """Return the walls frozen in the period, newest first, each opening its snapshot."""
    if not b.snapshots:
        return html.P(say("briefing.no_snapshots", lang), className="zs-briefing-muted", id="briefing-snapshots")
    return html.Ul(id="briefing-snapshots", className="zs-briefing-snapshots", children=[
        html.Li([html.A(say("briefing.snapshot", lang, id=s.id,
                            at=s.taken_at.astimezone(b.period.tz).strftime("%Y-%m-%d %H:%M")),
                        href=with_lang(f"/desk/snapshot/{s.id}", {}, lang)),
                 html.Span(" · " + " · ".join(x for x in (s.taken_by, s.note) if x), className="zs-briefing-muted")])
        for s in b.snapshots])
