"""Serve the desk's case explorer (/desk): the filter bar and the URL kept in step, pages of the grid, the count
and the map, and re-reading them when the desks' doorbell names a case that is, or was, in the list."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode

from dash import ClientsideFunction, Dash, Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from dashboard import access, auth, exports
from datafeeds import categories, deskqueries, queries
from datafeeds.clock import utcnow
from datafeeds.deskqueries import CaseFilter, FilterError
from layouts import desk as desk_layout
from layouts import shell
from layouts.i18n import pick_lang

# The filter bar's controls and the CaseFilter field each one sets (dates and flags are handled apart).
SELECTS = ((desk_layout.TOWNSHIP, "township"), (desk_layout.VILLAGE, "village"), (desk_layout.CATEGORY, "category"),
           (desk_layout.SOURCE, "source"), (desk_layout.STATE, "state"), (desk_layout.DEPARTMENT, "department"))


# The two date ranges' pickers (start, end) and the CaseFilter fields they set, in the callback's order.
DATE_FIELDS = ("since", "until", "resolved_since", "resolved_until")


def _iso(day: Any) -> str | None:
    return day.isoformat() if day else None


def query_of(search: str | None) -> dict[str, str]:
    """Return a URL's query arguments, one value each (the first)."""
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}


def lang_of(state: Any, search: str | None) -> str:
    return pick_lang(query_of(search).get("lang") or None, state.settings.lang)


def category_choices(lang: str) -> list[tuple[str, str]]:
    """Return every category as (code, name): each top level followed by its subtypes."""
    en = lang == "en"
    cats = categories.all_categories()
    out: list[tuple[str, str]] = []
    for top in (c for c in cats if len(c.code) == 2):
        out.append((top.code, top.en if en else top.zh))
        out.extend((c.code, c.en if en else c.zh) for c in cats if len(c.code) == 4 and c.code[:2] == top.code)
    return out


def page(state: Any, search: str | None, lang: str, principal: Any = None) -> Any:
    """Return the desk for the filter in a URL's query (a bad value is dropped, not an error page)."""
    query = query_of(search)
    try:
        f = CaseFilter.from_query(query)
    except FilterError:
        f = CaseFilter.from_query({k: v for k, v in query.items() if k not in ("since", "until")})
    places = deskqueries.place_options(state.engine, lang)
    names = queries.names(state.engine, lang)
    settings = state.settings
    choices = {
        "townships": places[""],
        "villages": places.get(f.township or "", []),
        "categories": category_choices(lang),
        "departments": sorted(names["departments"].items()),
        "boundaries": state.boundaries(gcj02=settings.tile_crs == "gcj02"),
        "tiles": ({"url": settings.tile_url, "subdomains": settings.tile_subdomains,
                   "attribution": settings.tile_attribution} if settings.tile_url else None),
    }
    full = principal is not None and principal.may(exports.FULL_LEVEL)
    return desk_layout.layout(f, choices, lang, full_export=full)


def filter_from_controls(values: dict[str, Any], dates: dict[str, str | None], flags: list[str] | None,
                         text: str | None) -> CaseFilter:
    """Return the filter the bar shows (through the same reader as a URL, so both agree on every value)."""
    args = {k: str(v) for k, v in values.items() if v}
    args.update({k: v[:10] for k, v in dates.items() if v})
    args.update(dict.fromkeys(flags or [], "1"))
    if text and text.strip():
        args["text"] = text.strip()
    return CaseFilter.from_query(args)


def sync(state: Any, trigger: str | None, search: str | None, values: dict[str, Any], dates: dict[str, str | None],
         flags: list[str] | None, text: str | None) -> tuple[Any, ...]:
    """Write the bar's filter into the URL (a new history entry, no new page) and apply it.

    The URL is written, not listened to: a page loaded from a URL (a bookmark, a link, back and forward, which
    assets/zhongshu-desk.js turns into a reload) is drawn from it by the router.
    Returns (search, the six selects, village options, the four dates, flags, text, filter, csv href, xlsx href).
    """
    lang = lang_of(state, search)
    keep = {"lang": lang} if lang != "zh-CN" else {}
    if trigger == desk_layout.RESET:
        f = CaseFilter()
    else:
        f = filter_from_controls(values, dates, flags, text)
        if f.village and f.township and not f.village.startswith(f.township):
            f = f.but(village=None)  # a village of another township: the township changed under it
    args = {**f.to_query(), **keep}
    new_search = f"?{urlencode(args)}" if args else ""
    query = f.to_query()
    villages = deskqueries.place_options(state.engine, lang).get(f.township or "", [])
    return (new_search, *(getattr(f, field) for _, field in SELECTS), desk_layout.options(villages),
            *(_iso(getattr(f, name)) for name in DATE_FIELDS),
            [flag for flag in desk_layout.FLAGS if getattr(f, flag)], f.text or "", query,
            desk_layout.export_href("csv", query, lang), desk_layout.export_href("xlsx", query, lang))


def rows_page(state: Any, request: dict[str, Any] | None, query: dict[str, str] | None,
              search: str | None) -> tuple[dict[str, Any], list[str]]:
    """Answer the grid's request for rows start..end in its sort; return the answer and the case numbers shown."""
    if not request:
        raise PreventUpdate
    lang = lang_of(state, search)
    f = CaseFilter.from_query(query or {})
    start = max(0, int(request.get("startRow") or 0))
    end = max(start + 1, int(request.get("endRow") or start + desk_layout.PAGE_SIZE))
    sort, descending = "registered_at", True
    for s in request.get("sortModel") or []:
        if s.get("colId") in desk_layout.SORTABLE:
            sort, descending = desk_layout.SORTABLE[s["colId"]], s.get("sort") != "asc"
            break
    now = utcnow()
    if start > deskqueries.OFFSET_MAX:
        return {"rowData": [], "rowCount": start}, []
    rows = deskqueries.search(state.engine, f, now=now, sort=sort, descending=descending, offset=start,
                              limit=min(end - start, deskqueries.PAGE_MAX))
    names = queries.names(state.engine, lang)
    data = [desk_layout.row(r, names, now, state.tz, lang) for r in rows]
    # The grid learns the end once a page comes back short; before that it offers one more page.
    last = start + len(data) if len(data) < end - start else None
    if last is None and end >= deskqueries.OFFSET_MAX:
        last = end  # paging stops at the cap: narrow the filter for the rest
    return {"rowData": data, "rowCount": last}, [r["case_no"] for r in data]


def count_and_map(state: Any, query: dict[str, str] | None, search: str | None) -> tuple[str, dict[str, Any],
                                                                                          list[str]]:
    """Return the count line, the map's cases and their numbers."""
    lang = lang_of(state, search)
    f = CaseFilter.from_query(query or {})
    now = utcnow()
    n = deskqueries.count(state.engine, f, now=now)
    points = deskqueries.points(state.engine, f, now=now, limit=desk_layout.MAP_MAX)
    cats = queries.names(state.engine, lang)["categories"]
    return (desk_layout.count_text(n, lang), desk_layout.map_features(points, cats, lang),
            [p["case_no"] for p in points])


def touched(state: Any, bell: dict[str, Any] | None, query: dict[str, str] | None, shown: set[str]) -> int:
    """Return the bell's number when its changes touch the list (a case that matches, or one shown that may
    have left it), else stop: a list that nothing touched is not read again."""
    if not bell:
        raise PreventUpdate
    cases = bell.get("cases")
    if cases is None:
        return int(bell.get("n") or 0)
    changed = [str(c) for c in cases][:deskqueries.PAGE_MAX]
    if shown & set(changed):
        return int(bell.get("n") or 0)
    if deskqueries.matching(state.engine, CaseFilter.from_query(query or {}), changed, now=utcnow()):
        return int(bell.get("n") or 0)
    raise PreventUpdate


def register(app: Dash, state: Any) -> None:
    """Wire the desk's callbacks."""
    L = desk_layout

    def on_sync(*args: Any) -> tuple[Any, ...]:
        search, pathname = args[-2:]
        if auth.current_principal() is None or access.normalise(pathname) != "/desk":
            raise PreventUpdate
        selects = dict(zip((field for _, field in SELECTS), args[:6], strict=True))
        dates = dict(zip(DATE_FIELDS, args[6:10], strict=True))
        flags, text = args[10:12]
        return sync(state, ctx.triggered_id, search, selects, dates, flags, text)

    app.callback(
        Output(shell.URL, "search"), *(Output(cid, "value") for cid, _ in SELECTS), Output(L.VILLAGE, "options"),
        *(Output(picker, end) for picker in (L.DATES, L.RESOLVED) for end in ("start_date", "end_date")),
        Output(L.FLAGS_ID, "value"), Output(L.TEXT, "value"), Output(L.FILTER, "data"),
        Output(L.EXPORT_CSV, "href"), Output(L.EXPORT_XLSX, "href"),
        *(Input(cid, "value") for cid, _ in SELECTS),
        *(Input(picker, end) for picker in (L.DATES, L.RESOLVED) for end in ("start_date", "end_date")),
        Input(L.FLAGS_ID, "value"), Input(L.TEXT, "value"), Input(L.RESET, "n_clicks"), State(shell.URL, "search"),
        State(shell.URL, "pathname"), prevent_initial_call=True)(on_sync)

    def on_rows(request: dict[str, Any] | None, query: dict[str, str] | None,
                search: str | None) -> tuple[dict[str, Any], list[str]]:
        return rows_page(state, request, query, search)

    app.callback(Output(L.GRID, "getRowsResponse"), Output(L.SHOWN_PAGE, "data"), Input(L.GRID, "getRowsRequest"),
                 State(L.FILTER, "data"), State(shell.URL, "search"), prevent_initial_call=True)(on_rows)

    def on_figures(query: dict[str, str] | None, dirty: int | None,
                   search: str | None) -> tuple[str, dict[str, Any], list[str]]:
        return count_and_map(state, query, search)

    app.callback(Output(L.COUNT, "children"), Output(L.MAP_CASES, "data"), Output(L.SHOWN_MAP, "data"),
                 Input(L.FILTER, "data"), Input(L.DIRTY, "data"), State(shell.URL, "search"))(on_figures)

    def on_bell(bell: dict[str, Any] | None, query: dict[str, str] | None, page_cases: list[str] | None,
                map_cases: list[str] | None) -> int:
        return touched(state, bell, query, set(page_cases or []) | set(map_cases or []))

    app.callback(Output(L.DIRTY, "data"), Input(shell.BELL, "data"), State(L.FILTER, "data"),
                 State(L.SHOWN_PAGE, "data"), State(L.SHOWN_MAP, "data"), prevent_initial_call=True)(on_bell)

    def on_full(query: dict[str, str] | None, reason: str | None, search: str | None) -> tuple[Any, Any]:
        principal = auth.current_principal()
        if principal is None or not principal.may(exports.FULL_LEVEL):
            raise PreventUpdate
        return desk_layout.full_hrefs(query or {}, reason, lang_of(state, search))

    app.callback(Output(L.FULL_CSV, "href"), Output(L.FULL_XLSX, "href"), Input(L.FILTER, "data"),
                 Input(L.FULL_REASON, "value"), State(shell.URL, "search"), prevent_initial_call=True)(on_full)

    # A new filter or a touched list empties the grid's cache: it asks again for the page it shows.
    app.clientside_callback(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        ClientsideFunction("zhongshu_desk", "purge"), Output(L.PURGED, "data"), Input(L.FILTER, "data"),
        Input(L.DIRTY, "data"), State(L.GRID, "id"), prevent_initial_call=True)
