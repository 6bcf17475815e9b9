"""Build the duty officer's case explorer (/desk): filters, the paged grid, the count and the map. Pure: no I/O.

The filter bar shows one `CaseFilter` and writes it to the URL, so a view can be bookmarked or sent; the grid
asks the server for one page at a time (dash-ag-grid's infinite row model), sorted by the server; the map
draws the newest matching cases. Rows reach the grid masked (`row`); the case page unmasks with a reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import dcc, html

from datafeeds.deskqueries import COUNT_CAP, CaseFilter
from datafeeds.masking import mask_text
from layouts import snapshots
from layouts.case import REASON_MIN
from layouts.i18n import say, t

ROOT = "desk-root"
TOWNSHIP = "desk-f-township"
VILLAGE = "desk-f-village"
CATEGORY = "desk-f-category"
SOURCE = "desk-f-source"
STATE = "desk-f-state"
DEPARTMENT = "desk-f-department"
DATES = "desk-f-dates"
RESOLVED = "desk-f-resolved"
FLAGS_ID = "desk-f-flags"
FLAGS = ("overdue", "supervised", "cards", "major")  # the check boxes: CaseFilter's yes/no fields
TEXT = "desk-f-text"
RESET = "desk-f-reset"
FILTER = "desk-filter"  # the applied filter, as URL query arguments
DIRTY = "desk-dirty"  # bumped when pushed changes touch the list: the grid, count and map read again
PURGED = "desk-purged"  # written by the clientside purge of the grid's cache (no one reads it)
# Case numbers on the grid's last page and on the map, to tell when a pushed change takes a case out of the list.
SHOWN_PAGE = "desk-shown-page"
SHOWN_MAP = "desk-shown-map"
COUNT = "desk-count"
GRID = "desk-grid"
MAP = "desk-map"
MAP_CASES = "desk-map-cases"
EXPORT_CSV = "desk-export-csv"
EXPORT_XLSX = "desk-export-xlsx"
FULL_REASON = "desk-full-reason"  # leaders: the reason for exporting personal data in full
FULL_CSV = "desk-full-csv"
FULL_XLSX = "desk-full-xlsx"

DROPDOWN_LABELS = ("search", "clear_search", "clear_selection", "no_options_found", "select_all", "deselect_all",
                   "selected_count")
PAGE_SIZE = 100
MAP_MAX = 2000
STATES = ("registered", "triaged", "assigned", "signed", "in_progress", "returned", "resolved", "visited", "closed",
          "referred", "terminated")
SOURCES = ("walk_in", "hotline_12345", "grid", "police_110", "court", "petition", "superior", "online")
# Grid columns whose order the server can give (the rest are not sortable): grid field → deskqueries sort.
SORTABLE = {"case_no": "case_no", "registered_at": "registered_at", "resolve_due": "resolve_due",
            "township": "township", "category": "category", "state": "state"}
COLUMNS = ("case_no", "registered_at", "title", "category", "township", "village", "state", "department",
           "resolve_due", "due", "supervision", "source")


def options(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Return (code, name) pairs as a dropdown's choices."""
    return [{"label": label, "value": code} for code, label in pairs]


def category_options(categories: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Return the category choices: each top level (matching its subtypes too), then its subtypes indented."""
    return [{"label": (f"{code} {name}" if len(code) == 2 else f"　{code} {name}"), "value": code}
            for code, name in categories]


def layout(f: CaseFilter, choices: dict[str, Any], lang: str, full_export: bool = False) -> html.Div:
    """Return the desk for a filter. `choices`: townships, villages (of the chosen township), categories,
    departments as (code, name) lists. `full_export`: offer the export with personal data (leaders)."""
    query = f.to_query()
    flags = [flag for flag in FLAGS if getattr(f, flag)]
    return html.Div(id=ROOT, className="zs-desk zs-explorer", children=[
        dcc.Store(id=FILTER, data=query),
        dcc.Store(id=DIRTY, data=0),
        dcc.Store(id=PURGED),
        dcc.Store(id=SHOWN_PAGE, data=[]),
        dcc.Store(id=SHOWN_MAP, data=[]),
        html.Header(className="zs-desk-head", children=[
            html.H1(say("desk.title", lang)),
            html.Nav(className="zs-desk-nav", children=[
                html.A(say("desk.departments_link", lang), href=_href("/desk/departments", {}, lang)),
                html.A(say("desk.wall_link", lang), href=_href("/wall", {"desk": "1"}, lang)),
                html.A(t("page.home", lang), href=_href("/", {}, lang)),
            ]),
            snapshots.freeze_bar(lang),
        ]),
        html.Div(className="zs-desk-filters", role="search", children=[
            _select(TOWNSHIP, "desk.f.township", options(choices["townships"]), f.township, lang),
            _select(VILLAGE, "desk.f.village", options(choices["villages"]), f.village, lang),
            _select(CATEGORY, "desk.f.category", category_options(choices["categories"]), f.category, lang),
            _select(SOURCE, "desk.f.source", [{"label": t(f"source.{s}", lang), "value": s} for s in SOURCES],
                    f.source, lang),
            _select(STATE, "desk.f.state", [{"label": say("desk.state.open", lang), "value": "open"}] + [
                {"label": say(f"desk.state.{s}", lang), "value": s} for s in STATES], f.state, lang),
            _select(DEPARTMENT, "desk.f.department", options(choices["departments"]), f.department, lang),
            _dates(DATES, "desk.f.dates", f.since, f.until, lang),
            _dates(RESOLVED, "desk.f.resolved", f.resolved_since, f.resolved_until, lang),
            dcc.Checklist(id=FLAGS_ID, className="zs-field zs-flags", value=flags, inline=True, options=[
                {"label": say(f"desk.f.{flag}", lang), "value": flag} for flag in FLAGS]),
            html.Label(className="zs-field zs-field-text", children=[
                html.Span(say("desk.f.text", lang)),
                dcc.Input(id=TEXT, type="search", value=f.text or "", debounce=True, maxLength=100,
                          placeholder=say("desk.f.text_hint", lang)),
            ]),
            html.Button(say("desk.f.reset", lang), id=RESET, n_clicks=0, className="zs-button"),
        ]),
        html.Div(className="zs-desk-summary", children=[
            html.Span(id=COUNT, className="zs-desk-count"),
            html.Span(say("desk.count_note", lang), className="zs-desk-kouj"),
            html.A(say("desk.export_csv", lang), id=EXPORT_CSV, href=export_href("csv", query, lang),
                   className="zs-button"),
            html.A(say("desk.export_xlsx", lang), id=EXPORT_XLSX, href=export_href("xlsx", query, lang),
                   className="zs-button"),
            html.Span(say("desk.export_note", lang), className="zs-desk-kouj"),
        ]),
        *([full_export_bar(lang)] if full_export else []),
        html.Div(className="zs-desk-body", children=[
            grid(lang),
            html.Div(className="zs-desk-map", children=[
                html.P(say("desk.map_note", lang, n=MAP_MAX), className="zs-desk-kouj"),
                desk_map(choices["boundaries"], choices["tiles"]),
            ]),
        ]),
    ])


def _dates(id_: str, label_key: str, since: date | None, until: date | None, lang: str) -> html.Label:
    return html.Label(className="zs-field zs-field-dates", children=[
        html.Span(say(label_key, lang)),
        dcc.DatePickerRange(id=id_, start_date=since.isoformat() if since else None,
                            end_date=until.isoformat() if until else None, display_format="YYYY-MM-DD",
                            first_day_of_week=1, clearable=True, minimum_nights=0,
                            month_format="YYYY年M月" if lang == "zh-CN" else "MMMM YYYY",
                            start_date_placeholder_text=say("desk.f.since", lang),
                            end_date_placeholder_text=say("desk.f.until", lang)),
    ])


def _select(id_: str, label_key: str, options: list[dict[str, str]], value: str | None, lang: str) -> html.Label:
    return html.Label(className="zs-field", children=[
        html.Span(say(label_key, lang)),
        dcc.Dropdown(id=id_, options=options, value=value, clearable=True, searchable=True,
                     placeholder=say("desk.f.any", lang), className="zs-select", search_order="original",
                     labels=cast(Any, {k: say(f"desk.dropdown.{k}", lang) for k in DROPDOWN_LABELS})),
    ])


def full_export_bar(lang: str) -> html.Div:
    """Return the leaders' export with personal data in full: it needs a stated reason, and is audited."""
    return html.Div(className="zs-desk-summary zs-desk-full", children=[
        html.Label(className="zs-field zs-field-text", children=[
            html.Span(say("desk.full_reason", lang)),
            dcc.Input(id=FULL_REASON, type="text", value="", maxLength=200, debounce=False,
                      placeholder=say("desk.full_reason_hint", lang)),
        ]),
        html.A(say("desk.full_csv", lang), id=FULL_CSV, className="zs-button zs-button-off"),
        html.A(say("desk.full_xlsx", lang), id=FULL_XLSX, className="zs-button zs-button-off"),
    ])


def full_hrefs(query: dict[str, str], reason: str | None, lang: str) -> tuple[str | None, str | None]:
    """Return the links of the export in full, or none while the reason is too short."""
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN:
        return None, None
    args = {**query, "full": "1", "reason": reason}
    return export_href("csv", args, lang), export_href("xlsx", args, lang)


def grid(lang: str) -> dag.AgGrid:
    """Return the results grid: the server pages and sorts it, 100 rows a page."""
    columns = [{"field": c, "headerName": say(f"desk.col.{c}", lang), "sortable": c in SORTABLE,
                **({"cellRenderer": "CaseLink"} if c == "case_no" else {}),
                **({"cellRenderer": "DueBadge"} if c == "due" else {}),
                **({"flex": 2, "minWidth": 220} if c == "title" else
                   {"flex": 1, "minWidth": 150} if c in ("registered_at", "resolve_due") else
                   {"flex": 1, "minWidth": 200} if c == "case_no" else
                   {"flex": 1, "minWidth": 110})}
               for c in COLUMNS]
    return dag.AgGrid(
        id=GRID, className="zs-desk-grid", columnDefs=columns, rowModelType="infinite",
        defaultColDef={"resizable": True, "suppressHeaderMenuButton": True},
        getRowId="params.data.case_no",
        dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE, "cacheBlockSize": PAGE_SIZE,
                         "maxConcurrentDatasourceRequests": 1, "maxBlocksInCache": 10,
                         "paginationPageSizeSelector": False, "localeText": grid_locale(lang)},
        style={"height": "70vh"},
    )


def grid_locale(lang: str) -> dict[str, str]:
    """Return the grid's own words (pager, loading) in the page's language."""
    keys = ("page", "of", "to", "more", "loadingOoo", "noRowsToShow", "firstPage", "previousPage", "nextPage",
            "lastPage")
    return {k: say(f"desk.grid.{k}", lang) for k in keys}


def desk_map(boundaries: dict[str, Any], tiles: dict[str, Any] | None) -> dl.Map:
    """Return the map of the filtered cases: the county's boundaries, and the cases drawn by assets' code."""
    bounds = boundaries.get("bounds")
    (south, west), (north, east) = bounds or [[0.0, 0.0], [0.0, 0.0]]
    return dl.Map(id=MAP, className="zs-desk-leaflet", bounds=bounds, center=[(south + north) / 2, (west + east) / 2],
                  zoom=9, boundsOptions={"padding": [8, 8]}, preferCanvas=True, zoomSnap=0.25,
                  attributionControl=bool(tiles and tiles.get("attribution")), children=[
        *([dl.TileLayer(url=tiles["url"], subdomains=tiles.get("subdomains") or "abc",
                        attribution=tiles.get("attribution") or "", maxZoom=18)] if tiles else []),
        dl.GeoJSON(data=boundaries["townships"], interactive=False,
                   style={"color": "#4fa3ff", "weight": 1, "fillOpacity": 0.04}),
        dl.GeoJSON(data=boundaries["county"], interactive=False,
                   style={"color": "#9cc8ff", "weight": 2, "fill": False}),
        dl.GeoJSON(id=MAP_CASES, data={"type": "FeatureCollection", "features": []},
                   pointToLayer={"variable": "zhongshu.deskMap.point"}),
    ])


def export_href(kind: str, query: dict[str, str], lang: str) -> str:
    """Return the link that downloads the filtered list (the export endpoint reads the same arguments)."""
    return _href(f"/export/cases.{kind}", query, lang)


def _href(path: str, query: dict[str, str], lang: str) -> str:
    args = {**query, **({"lang": lang} if lang != "zh-CN" else {})}
    return f"{path}?{urlencode(args)}" if args else path


def count_text(n: int, lang: str) -> str:
    """Return the count line: the number of matches, or the cap with a plus past it."""
    if n > COUNT_CAP:
        return say("desk.count_more", lang, n=f"{COUNT_CAP:,}")
    return say("desk.count", lang, n=f"{n:,}")


def _when(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at is not None else ""


def due_text(r: dict[str, Any], now: datetime, lang: str) -> tuple[str, str]:
    """Return how a case stands against its resolve deadline (text, and one of overdue/warning/ok/none)."""
    due = r["resolve_due"]
    if not r["is_open"] or due is None:
        return "", "none"
    left = (due - now).total_seconds()
    days, hours = divmod(int(abs(left)) // 3600, 24)
    span = say("desk.span_days", lang, d=days, h=hours) if days else say("desk.span_hours", lang, h=hours)
    if left <= 0:
        return say("desk.overdue_by", lang, span=span), "overdue"
    return say("desk.due_in", lang, span=span), "warning" if left < 86400 else "ok"


def row(r: dict[str, Any], names: dict[str, dict[str, str]], now: datetime, tz: ZoneInfo, lang: str) -> dict[str, Any]:
    """Return one grid (and export) row: display names, local times, the title masked with its parties' names."""
    places, departments, cats = names["places"], names["departments"], names["categories"]
    due, risk = due_text(r, now, lang)
    party_names = [str(p.get("name") or "") for p in (r.get("parties") or [])]
    supervision = r["supervision"] or "none"
    return {
        "case_no": r["case_no"],
        "registered_at": _when(r["registered_at"], tz),
        "title": mask_text(r["title"] or "", party_names),
        "category": cats.get(r["category"], r["category"]),
        "township": places.get(r["township"], r["township"]),
        "village": places.get(r["village"] or "", r["village"] or ""),
        "state": say(f"desk.state.{r['state']}", lang) if r["state"] in STATES else r["state"],
        "department": departments.get(r["department"] or "", r["department"] or ""),
        "resolve_due": _when(r["resolve_due"], tz),
        "due": due,
        "risk": risk,
        "supervision": "" if supervision == "none" else say(f"case.supervision.{supervision}", lang)
        if supervision in ("normal", "yellow", "red") else supervision,
        "source": t(f"source.{r['source']}", lang) if r["source"] in SOURCES else r["source"],
    }


def map_features(points: list[dict[str, Any]], cats: dict[str, str], lang: str) -> dict[str, Any]:
    """Return the map's cases as GeoJSON points; assets/zhongshu-desk.js draws each and links it to its case."""
    suffix = "" if lang == "zh-CN" else "?lang=en"
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
         "properties": {"case_no": p["case_no"], "risk": p["risk"], "label": f"{p['case_no']} · "
                        f"{cats.get(p['category'], p['category'])}",
                        "href": f"/desk/case/{quote(p['case_no'], safe='')}{suffix}"}} for p in points]}
