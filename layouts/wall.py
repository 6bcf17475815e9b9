"""Build the wall (大屏): header, headline counters, live map, ticker. Pure: no I/O.

The same layout serves the desk's copy of the wall (/wall?desk=1, WallContext.desk): #wall-root then carries
data-desk="1", each counter and chart gets a link the wall's scripts point into the desk, and the scripts
make rows and pins links too. Without it nothing on the wall is a link: a kiosk stays hands-off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import dash_leaflet as dl
from dash import dcc, html

from layouts.i18n import catalogue, say, t

ROOT = "wall-root"
DATE = "wall-date"
TIME = "wall-time"
FEED_STATUS = "wall-feed-status"
FEED_DOT = "wall-feed-dot"
MAP = "wall-map"
TOWNSHIPS = "wall-townships"
VILLAGES = "wall-villages"
COUNTY = "wall-county"
TICKER = "wall-ticker"
OVERLAY = "wall-alert-overlay"
DUTY = "wall-duty"
WARNINGS = "wall-warnings"
DEPARTMENTS = "wall-departments"
TOWNSHIP_RANKING = "wall-townships-ranking"
HOURS_CHART = "wall-hours-chart"
DAYS_CHART = "wall-days-chart"
CATEGORY_MIX = "wall-category-mix"
SOURCE_MIX = "wall-source-mix"
MAP_TITLE = "wall-map-title"
PAGE_DOTS = "wall-page-dots"
DEPARTMENT_PAGE = "wall-page-departments"
DEPARTMENT_TABLE = "wall-dept-table"
FOCUS = "wall-focus"
HOURS_LINK = "wall-hours-link"
DAYS_LINK = "wall-days-link"
COUNTERS = ("today_registered", "open", "today_resolved", "month_resolution_rate", "success_rate", "overdue",
            "supervised", "major", "satisfaction_rate")


def counter_id(key: str) -> str:
    """Return the id of a headline counter's figure."""
    return f"wall-c-{key}"


def counter_sub_id(key: str) -> str:
    """Return the id of the line under a headline counter (change since yesterday, hint)."""
    return f"wall-c-{key}-sub"


def counter_link_id(key: str) -> str:
    """Return the id of a headline counter's link into the desk (desk copy only)."""
    return f"wall-c-{key}-link"


@dataclass(frozen=True)
class WallContext:
    """What the wall's layout needs to know, gathered by its callback."""

    title: str
    lang: str
    stale_seconds: float
    boundaries: dict[str, Any]
    overlay_seconds: float = 300.0
    tiles: dict[str, Any] | None = None  # url, subdomains, attribution; None draws boundaries only
    crs: str = "wgs84"
    timezone: str = "Asia/Shanghai"
    heat: bool = False  # fill each township by its open cases (zhongshu-map.js reads data-heat)
    rotation: tuple[str, ...] = ()  # 轮播 pages in order; empty: the overview only
    rotation_seconds: float = 30.0
    desk: bool = False  # the desk's copy: figures and pins are links into the desk, and no rotation


def _drill_link(link_id: str, title: str, name: str) -> html.A:
    """Return a link over a whole card or chart; zhongshu-live.js / -trends.js give it its href (dates move)."""
    return html.A(id=link_id, className="zs-drill zs-card-link", title=title, **cast(dict[str, Any], {
        "aria-label": name}))


def _counter(key: str, lang: str, desk: bool) -> html.Div:
    return html.Div(
        className=f"zs-counter zs-counter-{key}",
        children=[
            html.Div(t(f"counter.{key}", lang), className="zs-counter-label"),
            # Figures, the ticker, alerts and the feed status are drawn by assets/zhongshu-live.js,
            # which owns these nodes' content: Dash renders them empty and never updates them.
            html.Div(id=counter_id(key), className="zs-counter-value"),
            html.Div(id=counter_sub_id(key), className="zs-counter-sub"),
            *([_drill_link(counter_link_id(key), say(f"drill.{key}", lang), t(f"counter.{key}", lang))]
              if desk else []),
        ],
    )


def _center(bounds: list[list[float]] | None) -> list[float]:
    if not bounds:
        return [0.0, 0.0]
    (s, w), (n, e) = bounds
    return [(s + n) / 2, (w + e) / 2]


def _map(ctx: WallContext) -> dl.Map:
    b = ctx.boundaries
    return dl.Map(
        id=MAP,
        bounds=b["bounds"],
        center=_center(b["bounds"]),
        zoom=9,
        trackViewport=False,
        boundsOptions={"padding": [12, 12]},
        zoomControl=False,
        attributionControl=bool(ctx.tiles and ctx.tiles["attribution"]),
        zoomSnap=0.1,
        className="zs-map",
        children=[
            *([dl.TileLayer(url=ctx.tiles["url"], subdomains=ctx.tiles["subdomains"] or "abc",
                            attribution=ctx.tiles["attribution"], maxZoom=18)] if ctx.tiles else []),
            dl.GeoJSON(id=VILLAGES, data=b["villages"], interactive=False,
                       style={"color": "#2b5d8c", "weight": 0.6, "fillOpacity": 0.0}),
            dl.GeoJSON(id=TOWNSHIPS, data=b["townships"], interactive=False,
                       style={"color": "#4fa3ff", "weight": 1.6, "fillColor": "#0c2a4d", "fillOpacity": 0.35}),
            dl.GeoJSON(id=COUNTY, data=b["county"], interactive=False,
                       style={"color": "#7fd1ff", "weight": 3, "fillOpacity": 0.0}),
        ],
    )


def _chart(chart_id: str) -> dcc.Graph:
    # zhongshu-trends.js fills the figure (Plotly.react in place through set_props); a kiosk chart is static.
    return dcc.Graph(id=chart_id, className="zs-chart", responsive=True,
                     config={"staticPlot": True, "displayModeBar": False},
                     figure={"data": [], "layout": {"paper_bgcolor": "rgba(0,0,0,0)",
                                                    "plot_bgcolor": "rgba(0,0,0,0)"}})


def _panel(kind: str, title_key: str, lang: str, *body: Any) -> html.Section:
    """Return one titled panel of the wall (its class `zs-<kind>-panel`)."""
    return html.Section(className=f"zs-panel zs-{kind}-panel",
                        children=[html.H2(t(title_key, lang), className="zs-panel-title"), *body])


def _trends(lang: str, desk: bool) -> html.Div:
    def link(link_id: str, key: str, title_key: str) -> list[html.A]:
        return [_drill_link(link_id, say(key, lang), t(title_key, lang))] if desk else []

    return html.Div(className="zs-trends", children=[
        _panel("chart", "panel.hours", lang, _chart(HOURS_CHART), *link(HOURS_LINK, "drill.hours", "panel.hours")),
        _panel("chart", "panel.days", lang, _chart(DAYS_CHART), *link(DAYS_LINK, "drill.days", "panel.days")),
        _panel("mix", "panel.categories", lang, html.Ul(id=CATEGORY_MIX, className="zs-mix")),
        _panel("mix", "panel.sources", lang, html.Ul(id=SOURCE_MIX, className="zs-mix zs-mix-sources")),
    ])


def layout(ctx: WallContext) -> html.Div:
    """Return the wall's component tree."""
    lang = ctx.lang
    return html.Div(
        id=ROOT,
        className="zs-wall",
        lang=lang,
        **cast(dict[str, Any], {
            "data-lang": lang,
            "data-stale": str(ctx.stale_seconds),
            "data-overlay": str(ctx.overlay_seconds),
            "data-tz": ctx.timezone,
            "data-crs": ctx.crs,
            "data-heat": "township" if ctx.heat else "",
            # The desk's copy does not rotate: a page switching under the pointer would take the links away.
            "data-rotation": json.dumps([] if ctx.desk else list(ctx.rotation)),
            "data-rotation-seconds": str(ctx.rotation_seconds),
            "data-page": "overview",
            "data-bounds": json.dumps(ctx.boundaries["bounds"]),
            "data-labels": json.dumps(catalogue(lang), ensure_ascii=False),
            **({"data-desk": "1", "data-drill": json.dumps({"case": say("drill.case", lang),
                                                            "cluster": say("drill.cluster", lang)},
                                                           ensure_ascii=False)} if ctx.desk else {}),
        }),
        children=[
            html.Header(
                className="zs-header",
                children=[
                    html.Div(className="zs-clock", children=[
                        html.Span(id=DATE, className="zs-date"),
                        html.Span(id=TIME, className="zs-time"),
                    ]),
                    html.H1(ctx.title, className="zs-title"),
                    html.Div(className="zs-feed", children=[
                        html.Span(id=DUTY, className="zs-duty"),
                        html.Span(id=FEED_DOT, className="zs-dot zs-dot-wait"),
                        html.Span(id=FEED_STATUS, className="zs-feed-text"),
                    ]),
                ],
            ),
            html.Section(className="zs-counters", children=[_counter(k, lang, ctx.desk) for k in COUNTERS]),
            _trends(lang, ctx.desk),
            html.Main(
                className="zs-body",
                children=[
                    html.Section(className="zs-panel zs-map-panel", children=[
                        html.H2(className="zs-panel-title zs-map-head", children=[
                            html.Span(t("panel.map", lang), id=MAP_TITLE),
                            html.Span(id=PAGE_DOTS, className="zs-page-dots"),
                        ]),
                        _map(ctx),
                        # 轮播 pages drawn by zhongshu-rotation.js over the map's place (hidden otherwise).
                        html.Div(id=DEPARTMENT_PAGE, className="zs-page-departments", children=[
                            html.Table(id=DEPARTMENT_TABLE, className="zs-dept-table"),
                        ]),
                        html.Div(id=FOCUS, className="zs-focus"),
                        # A major or group incident takes over this band (drawn by zhongshu-live.js).
                        html.Div(id=OVERLAY, className="zs-overlay", role="alert"),
                    ]),
                    html.Div(className="zs-side", children=[
                        _panel("league", "panel.departments", lang,
                               html.Div(t("league.departments_hint", lang), className="zs-panel-hint"),
                               html.Ul(id=DEPARTMENTS, className="zs-league")),
                        _panel("league", "panel.townships", lang,
                               html.Div(t("league.townships_hint", lang), className="zs-panel-hint"),
                               html.Ul(id=TOWNSHIP_RANKING, className="zs-league")),
                    ]),
                ],
            ),
            html.Footer(
                className="zs-foot",
                children=[
                    _panel("ticker", "panel.ticker", lang, html.Ul(id=TICKER, className="zs-ticker")),
                    _panel("warnings", "panel.warnings", lang, html.Ul(id=WARNINGS, className="zs-warnings")),
                ],
            ),
        ],
    )
