"""Build the desk's departments page (/desk/departments): per department or township, the spread of 签收时长 and
办结时长 as box plots, 按期办结率 over the period, and a table whose names open the desk's list. Pure: no I/O.

Figures are plain Plotly dicts without a template (a template alone weighs ~6 KB per figure), in the wall's
dark colours. Every figure has its 口径 under it (datafeeds.deptfigures says how each is counted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dash import dcc, html

from datafeeds.deptfigures import PERIODS, Figures, Group, Spread
from layouts.i18n import say
from layouts.shell import with_lang

ROOT = "depts-root"
PERIOD = "depts-period"
BY = "depts-by"
RANGE = "depts-range"
SIGN = "depts-sign"
RESOLVE = "depts-resolve"
RATE = "depts-rate"
TABLE = "depts-table"
STAMP = "depts-stamp"  # when the figures were last read (server seconds): the doorbell's refresh waits on it
TIMER = "depts-timer"  # a one-shot timer, armed only by a doorbell that rang too soon after the last read

# The wall's colours (assets/wall.css, zhongshu-trends.js).
TEXT = "#e8f1ff"
MUTED = "#9fb6d6"
GRID = "rgba(159, 182, 214, 0.15)"
ACCENT = "#4fa3ff"
GREEN = "#3ddc97"
LINES = ("#ffb020", "#ff4d4f", "#c77dff", "#3ddc97", "#7fd1ff", "#f78fb3", "#b8e986", "#ffd166")
SHOWN_LINES = 5  # the lines drawn at first: the lowest on-time rates; the legend adds the rest
ROW_PX = 26
COLUMNS = ("assigned", "returned", "open", "overdue", "sign_median", "resolve_median", "on_time")


def layout(days: int, by: str, content: dict[str, Any], stamp: float, lang: str) -> html.Div:
    """Return the page for a period and grouping, holding the figures `content` gives (see `content`)."""
    return html.Div(id=ROOT, className="zs-desk zs-depts", children=[
        dcc.Store(id=STAMP, data=stamp),
        # Not a poll: disabled until a doorbell rings within the refresh interval, then fires once.
        dcc.Interval(id=TIMER, disabled=True, interval=10_000, n_intervals=0, max_intervals=0),
        html.Header(className="zs-depts-head", children=[
            html.H1(say("depts.title", lang)),
            html.Nav(className="zs-depts-nav", children=[
                html.A(say("depts.desk_link", lang), href=with_lang("/desk", {}, lang)),
                html.A(say("depts.home_link", lang), href=with_lang("/", {}, lang)),
            ]),
        ]),
        html.Div(className="zs-depts-controls", children=[
            html.Div(className="zs-depts-control", children=[
                html.Span(say("depts.period", lang), id=f"{PERIOD}-label"),
                dcc.RadioItems(id=PERIOD, value=days, inline=True, className="zs-depts-radio",
                               options=[{"label": say("depts.period.days", lang, n=n), "value": n} for n in PERIODS]),
            ]),
            html.Div(className="zs-depts-control", children=[
                html.Span(say("depts.by", lang), id=f"{BY}-label"),
                dcc.RadioItems(id=BY, value=by, inline=True, className="zs-depts-radio",
                               options=[{"label": say(f"depts.by.{b}", lang), "value": b}
                                        for b in ("department", "township")]),
            ]),
            html.Span(content["range"], id=RANGE, className="zs-depts-range"),
        ]),
        html.Section(className="zs-depts-boxes", children=[
            _figure(SIGN, "depts.sign_title", content["sign"], "depts.sign_note", lang),
            _figure(RESOLVE, "depts.resolve_title", content["resolve"], "depts.resolve_note", lang),
        ]),
        _figure(RATE, "depts.rate_title", content["rate"], "depts.rate_note", lang, n=SHOWN_LINES),
        html.Section(className="zs-depts-figure", children=[
            html.H2(say("depts.table_title", lang)),
            html.Div(content["table"], id=TABLE),
            html.P(say("depts.table_note", lang), className="zs-depts-kouj"),
        ]),
    ])


def _figure(id_: str, title: str, figure: dict[str, Any], note: str, lang: str, **params: object) -> html.Section:
    return html.Section(className="zs-depts-figure", children=[
        html.H2(say(title, lang)),
        dcc.Graph(id=id_, figure=figure, className="zs-depts-graph",
                  config={"displayModeBar": False, "scrollZoom": False, "doubleClick": False}),
        html.P(say(note, lang, **params), className="zs-depts-kouj"),
    ])


def content(figs: Figures, names: dict[str, str], as_of: datetime, lang: str, tz: ZoneInfo) -> dict[str, Any]:
    """Return what the page shows of a set of figures: the range line, the three figures and the table."""
    return {"range": range_text(figs, as_of, lang, tz),
            "sign": box_figure(figs.groups, names, "sign", lang),
            "resolve": box_figure(figs.groups, names, "resolve", lang),
            "rate": rate_figure(figs, names, lang),
            "table": table(figs, names, lang)}


def range_text(figs: Figures, as_of: datetime, lang: str, tz: ZoneInfo) -> str:
    """Return the period's first and last day and when the figures were read."""
    p = figs.period
    return say("depts.range", lang, first=p.first_day.isoformat(), last=p.now.astimezone(tz).date().isoformat(),
               days=p.days, at=as_of.astimezone(tz).strftime("%H:%M:%S"))


def _base(height: int) -> dict[str, Any]:
    return {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "height": height,
            "font": {"color": MUTED, "size": 13}, "margin": {"l": 150, "r": 20, "t": 10, "b": 40},
            "showlegend": False, "hovermode": "closest",
            "xaxis": {"gridcolor": GRID, "zeroline": False, "fixedrange": True, "rangemode": "tozero"},
            "yaxis": {"gridcolor": GRID, "zeroline": False, "fixedrange": True}}


def box_figure(groups: tuple[Group, ...], names: dict[str, str], measure: str, lang: str) -> dict[str, Any]:
    """Return the box plot of one duration ("sign" or "resolve") per group, worst first from the top."""
    shown = [(g, s) for g in groups if (s := _spread(g, measure)) is not None]
    fig: dict[str, Any] = {"data": [], "layout": _base(max(120, 50 + ROW_PX * len(shown)))}
    fig["layout"]["xaxis"]["title"] = {"text": say("depts.axis.hours", lang)}
    fig["layout"]["yaxis"].update(type="category", autorange="reversed", automargin=True)
    if not shown:
        fig["layout"]["annotations"] = [_nothing(lang)]
        fig["layout"]["xaxis"]["visible"] = False
        fig["layout"]["yaxis"]["visible"] = False
        return fig
    labels = [names.get(g.code, g.code) for g, _ in shown]
    spreads = [s for _, s in shown]
    colour = ACCENT if measure == "sign" else GREEN
    fig["data"] = [
        # Quartiles computed by the store: the box needs no raw durations.
        {"type": "box", "orientation": "h", "name": say(f"depts.{measure}", lang), "y": labels,
         "q1": [s.p25 for s in spreads], "median": [s.p50 for s in spreads], "q3": [s.p75 for s in spreads],
         "lowerfence": [s.p10 for s in spreads], "upperfence": [s.p90 for s in spreads],
         "line": {"color": colour, "width": 1.5}, "fillcolor": "rgba(79, 163, 255, 0.18)" if measure == "sign"
         else "rgba(61, 220, 151, 0.18)", "hoverinfo": "skip"},
        # An invisible marker on each median carries the hover text in the page's language (Plotly's own box
        # hover labels are English).
        {"type": "scatter", "mode": "markers", "x": [s.p50 for s in spreads], "y": labels,
         "marker": {"size": 18, "opacity": 0}, "customdata": [_spread_row(s) for s in spreads],
         "hovertemplate": "%{y}<br>" + say("depts.box_hover", lang, n="%{customdata[0]}", p10="%{customdata[1]}",
                                            p25="%{customdata[2]}", p50="%{customdata[3]}",
                                            p75="%{customdata[4]}", p90="%{customdata[5]}") + "<extra></extra>",
         "name": ""},
    ]
    return fig


def _spread(g: Group, measure: str) -> Spread | None:
    return g.sign if measure == "sign" else g.resolve


def _spread_row(s: Spread) -> list[float]:
    return [s.n, round(s.p10, 1), round(s.p25, 1), round(s.p50, 1), round(s.p75, 1), round(s.p90, 1)]


def _nothing(lang: str) -> dict[str, Any]:
    return {"text": say("depts.nothing", lang), "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5,
            "y": 0.5, "font": {"color": MUTED, "size": 14}}


def rate_figure(figs: Figures, names: dict[str, str], lang: str) -> dict[str, Any]:
    """Return 按期办结率 per day or week: the county's line, and a line per group (the lowest rates drawn)."""
    p = figs.period
    x = [d.strftime("%m-%d") for d in p.starts]
    fig: dict[str, Any] = {"data": [], "layout": _base(340)}
    fig["layout"].update(showlegend=True, hovermode="x unified", margin={"l": 60, "r": 20, "t": 10, "b": 50},
                         legend={"orientation": "h", "y": -0.18, "font": {"color": TEXT}})
    fig["layout"]["xaxis"].update(type="category", title={"text": say(f"depts.axis.{p.step}", lang)})
    fig["layout"]["yaxis"].update(range=[0, 105], ticksuffix="%", title={"text": say("depts.axis.rate", lang)})
    if not any(n for n, _ in figs.total):
        fig["layout"]["annotations"] = [_nothing(lang)]
        return fig
    hover = "%{y}% · " + say("depts.rate_hover", lang, ok="%{customdata[1]}", n="%{customdata[0]}")
    fig["data"].append(_line(say("depts.total", lang), x, figs.total, TEXT, 3.5, True, hover))
    rated = sorted((g for g in figs.groups if g.resolved), key=lambda g: (g.on_time_rate, g.code))
    drawn = {g.code for g in rated[:SHOWN_LINES]}
    for i, g in enumerate(sorted(rated, key=lambda g: names.get(g.code, g.code))):
        fig["data"].append(_line(names.get(g.code, g.code), x, g.buckets, LINES[i % len(LINES)], 1.8,
                                 g.code in drawn, hover))
    return fig


def _line(name: str, x: list[str], buckets: tuple[tuple[int, int], ...], colour: str, width: float, shown: bool,
          hover: str) -> dict[str, Any]:
    return {"type": "scatter", "mode": "lines+markers", "name": name, "x": x,
            "y": [round(100 * ok / n, 1) if n else None for n, ok in buckets],
            "customdata": [[n, ok] for n, ok in buckets], "hovertemplate": hover + f"<extra>{_escape(name)}</extra>",
            "line": {"color": colour, "width": width}, "marker": {"size": 5}, "connectgaps": False,
            "visible": True if shown else "legendonly"}


def _escape(text: str) -> str:
    # Plotly reads its hover templates as a little HTML: a name goes in as text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def table(figs: Figures, names: dict[str, str], lang: str) -> list[Any]:
    """Return the table of each group's figures; a group's name opens its open cases at the desk."""
    if not figs.groups:
        return [html.P(say("depts.nothing", lang), className="zs-empty")]
    head = html.Thead(html.Tr([html.Th(say(f"depts.col.{figs.by}", lang)),
                               *(html.Th(say(f"depts.col.{c}", lang)) for c in COLUMNS)]))
    body = html.Tbody([
        html.Tr(children=[
            html.Td(html.A(names.get(g.code, g.code), href=desk_href(figs.by, g.code, lang))),
            *(html.Td(_cell(g, c, lang), className=f"zs-depts-{c}" + (
                " zs-depts-late" if c == "overdue" and g.overdue_now else "")) for c in COLUMNS)])
        for g in figs.groups])
    return [html.Table(className="zs-table zs-depts-table", children=[head, body])]


def _cell(g: Group, column: str, lang: str) -> str:
    if column == "assigned":
        return str(g.assigned)
    if column == "returned":
        return str(g.returned)
    if column == "open":
        return str(g.open_now)
    if column == "overdue":
        return str(g.overdue_now)
    if column in ("sign_median", "resolve_median"):
        s = g.sign if column == "sign_median" else g.resolve
        return f"{s.p50:.1f}" if s is not None else "—"
    rate = g.on_time_rate
    return say("depts.rate_cell", lang, pct=f"{100 * rate:.1f}", ok=g.on_time, n=g.resolved) if rate is not None \
        else "—"


def desk_href(by: str, code: str, lang: str) -> str:
    """Return the desk's list of a department's (or township's) open cases."""
    # Field names of deskqueries.CaseFilter, which reads the desk's URL.
    field = "department" if by == "department" else "township"
    return with_lang("/desk", {field: code, "state": "open"}, lang)


