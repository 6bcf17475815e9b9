"""Serve the desk's departments page (/desk/departments): read the figures for the period and grouping chosen,
and read them again when the desks' doorbell rings, at most once every REFRESH_S seconds.

The figures are aggregates over up to 90 days: one more event moves them little, and reading them costs a scan
of the period's assignments. A ring within REFRESH_S of the last read arms a one-shot timer for the rest of the
interval instead, so the page still ends up current after the last change of a burst.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard import auth
from datafeeds import deptfigures, queries
from datafeeds.clock import utcnow
from layouts import departments as depts_layout
from layouts import shell
from layouts.i18n import pick_lang

LEVEL = "officer"
REFRESH_S = 10.0


def query_of(search: str | None) -> dict[str, str]:
    """Return a URL's query arguments, one value each (the first)."""
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}


def choice(query: dict[str, str]) -> tuple[int, deptfigures.Grouping]:
    """Return the period (days) and the grouping a URL asks for (`?days=90&by=township`), else the defaults."""
    raw = query.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in deptfigures.PERIODS else deptfigures.DEFAULT_DAYS
    return days, "township" if query.get("by") == "township" else "department"


def content(state: Any, days: int, by: deptfigures.Grouping, lang: str) -> dict[str, Any]:
    """Return the page's figures, read now."""
    now = utcnow()
    figs = deptfigures.figures(state.engine, by, days, now, state.tz)
    names = queries.names(state.engine, lang)
    return depts_layout.content(figs, names["departments" if by == "department" else "places"], now, lang,
                                state.tz)


def page(state: Any, search: str | None, lang: str) -> Any:
    """Return the page with its figures for the URL's period and grouping."""
    days, by = choice(query_of(search))
    return depts_layout.layout(days, by, content(state, days, by, lang), time.time(), lang)


def wait_before_reading(trigger: str | None, now: float, last: float | None, armed: bool) -> float | None:
    """Return how long to wait before reading the figures again (0: at once), or None to leave them be.

    A new period or grouping, and the timer's own tick, read at once; a doorbell reads at once only when the
    last read is REFRESH_S old, else it waits out the rest (or, when the timer is already armed, nothing).
    """
    if trigger != shell.BELL:
        return 0.0
    if armed:
        return None
    if last is None:
        return 0.0
    return max(0.0, last + REFRESH_S - now)


def register(app: Dash, state: Any) -> None:
    """Wire the period picker, the grouping switch, the doorbell and the one-shot timer."""
    L = depts_layout

    def refresh(days: int | None, by: str | None, _bell: Any, n_timer: int | None, last: float | None,
                armed_off: bool | None, search: str | None) -> tuple[Any, ...]:
        principal = auth.current_principal()
        if principal is None or not principal.may(LEVEL):
            raise PreventUpdate
        now = time.time()
        wait = wait_before_reading(ctx.triggered_id, now, last, armed=armed_off is False)
        if wait is None:
            raise PreventUpdate
        if wait > 0:
            # Arm the timer for one tick after the rest of the interval; the figures stay as they are.
            return (*(no_update,) * 6, False, max(1000, int(wait * 1000)), int(n_timer or 0) + 1)
        lang = pick_lang(query_of(search).get("lang") or None, state.settings.lang)
        days = days if days in deptfigures.PERIODS else deptfigures.DEFAULT_DAYS
        grouping: deptfigures.Grouping = "township" if by == "township" else "department"
        c = content(state, days, grouping, lang)
        return c["range"], c["sign"], c["resolve"], c["rate"], c["table"], now, True, no_update, no_update

    app.callback(
        Output(L.RANGE, "children"), Output(L.SIGN, "figure"), Output(L.RESOLVE, "figure"), Output(L.RATE, "figure"),
        Output(L.TABLE, "children"), Output(L.STAMP, "data"), Output(L.TIMER, "disabled"),
        Output(L.TIMER, "interval"), Output(L.TIMER, "max_intervals"),
        Input(L.PERIOD, "value"), Input(L.BY, "value"), Input(shell.BELL, "data"), Input(L.TIMER, "n_intervals"),
        State(L.STAMP, "data"), State(L.TIMER, "disabled"), State(shell.URL, "search"),
        prevent_initial_call=True)(refresh)
