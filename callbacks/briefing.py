"""Serve the leaders' briefing (/briefing): figure the period the URL names, and figure again when the period
picker moves (writing the new period into the URL, so a briefing can be bookmarked) or the browser goes back or
forward to another period.

A briefing is read on demand, not refreshed on the desks' doorbell: leaders brief from a fixed period, and the
figures say when they were read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard import access, auth
from datafeeds import briefing, queries
from datafeeds.briefing import PeriodError
from datafeeds.clock import utcnow
from layouts import briefing as briefing_layout
from layouts.i18n import pick_lang

LEVEL = "leader"
PATH = "/briefing"


def query_of(search: str | None) -> dict[str, str]:
    """Return a URL's query arguments, one value each (the first)."""
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}


def view(state: Any, query: dict[str, str], lang: str, now: datetime) -> tuple[str, date, date, list[Any]]:
    """Return what the page shows for a URL's query: the period's kind, its first and last day, and the body
    (the briefing, or why the period cannot be figured)."""
    today = now.astimezone(state.tz).date()
    try:
        p = briefing.parse_period(query, now, state.tz)
    except PeriodError as exc:
        return query.get("period") or "week", today, today, briefing_layout.refusal(str(exc), lang)
    b = state.briefings.get(state.engine, p)
    body = briefing_layout.content(b, queries.names(state.engine, lang), briefing.query_of(p), lang)
    return p.kind, p.current.first_day, p.current.last_day, body


def page(state: Any, search: str | None, lang: str, principal: Any = None) -> Any:
    """Return the briefing of the period in a URL's query (`?period=month`, `?period=custom&from=…&to=…`)."""
    now = utcnow()
    kind, first, last, body = view(state, query_of(search), lang, now)
    today = now.astimezone(state.tz).date()
    return briefing_layout.layout(kind, first, last, today, search or "", body, lang)


def chosen(trigger: str | None, kind: str | None, start: str | None, end: str | None,
           search: str | None) -> dict[str, str]:
    """Return the period query the page should show: the URL's after back or forward, else the picker's (a date
    picked means a custom range)."""
    if trigger == briefing_layout.LOCATION:
        query = query_of(search)
        return {k: v for k, v in query.items() if k in ("period", "from", "to")}
    if trigger == briefing_layout.DATES:
        kind = "custom"
    if kind != "custom":
        return {"period": kind or "week"}
    if not start or not end:
        raise PreventUpdate  # half a range: wait for its other end
    return {"period": "custom", "from": start[:10], "to": end[:10]}


def refresh(state: Any, trigger: str | None, kind: str | None, start: str | None, end: str | None,
            search: str | None) -> tuple[Any, ...]:
    """Figure the chosen period; return (URL search, period, range start and end, picker style, body)."""
    lang = pick_lang(query_of(search).get("lang") or None, state.settings.lang)
    query = chosen(trigger, kind, start, end, search)
    shown, first, last, body = view(state, query, lang, utcnow())
    args = {**query, **({"lang": lang} if lang != "zh-CN" else {})}
    new_search = no_update if trigger == briefing_layout.LOCATION else f"?{urlencode(args)}"
    return (new_search, shown, first.isoformat(), last.isoformat(), briefing_layout.custom_style(shown), body)


def register(app: Dash, state: Any) -> None:
    """Wire the period picker, the custom range and the page's URL to the briefing."""
    L = briefing_layout

    def on_change(kind: str | None, start: str | None, end: str | None, search: str | None,
                  pathname: str | None) -> tuple[Any, ...]:
        principal = auth.current_principal()
        if principal is None or not principal.may(LEVEL) or access.normalise(pathname) != PATH:
            raise PreventUpdate
        return refresh(state, ctx.triggered_id, kind, start, end, search)

    # One callback owns the picker, the range and the URL, so each may move the others without a loop.
    app.callback(
        Output(L.LOCATION, "search"), Output(L.PERIOD, "value"), Output(L.DATES, "start_date"),
        Output(L.DATES, "end_date"), Output(L.CUSTOM, "style"), Output(L.CONTENT, "children"),
        Input(L.PERIOD, "value"), Input(L.DATES, "start_date"), Input(L.DATES, "end_date"),
        Input(L.LOCATION, "search"), State(L.LOCATION, "pathname"), prevent_initial_call=True)(on_change)
