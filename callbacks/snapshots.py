"""Serve the frozen walls: the desk's 冻结大屏 button (freeze, audit, answer with a link), the list of snapshots
and one snapshot's page."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from callbacks.desk import lang_of
from dashboard import accounts, auth
from datafeeds import queries, snapshots
from datafeeds.clock import utcnow
from layouts import shell
from layouts import snapshots as snap_layout
from layouts.i18n import say

LEVEL = "officer"  # who may freeze the wall and read the snapshots
LIST_SIZE = 100


def list_page(state: Any, lang: str) -> Any:
    """Return the list of the newest snapshots."""
    return snap_layout.list_page(snapshots.recent(state.engine, LIST_SIZE), LIST_SIZE, state.tz, lang)


def detail_page(state: Any, raw_id: str, lang: str) -> Any:
    """Return one snapshot's page, or the not-found page of a number that names none."""
    # Only a plain number that fits a BIGINT is looked up (anything else names no snapshot).
    number = raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 19
    snap = snapshots.get(state.engine, int(raw_id)) if number else None
    if snap is None:
        return snap_layout.missing(raw_id, lang)
    return snap_layout.detail_page(snap, queries.names(state.engine, lang), state.tz, lang)


def freeze(state: Any, principal: Any, note: str | None, lang: str) -> list[Any] | str:
    """Freeze the wall for a principal, write it to the audit log, and return the bar's answer."""
    now = utcnow()
    text = " ".join((note or "").split())[:snapshots.NOTE_MAX]
    try:
        snapshot_id = snapshots.freeze(state.engine, now, principal.actor, text, tz=state.tz)
        state.briefings.clear()  # a briefing opened next cites it at once
    except queries.SnapshotRace:
        return say("snap.busy", lang)
    accounts.audit(state.engine, principal.actor, principal.role, "freeze", target=f"snapshot:{snapshot_id}",
                   source_ip=auth.client_ip(), detail={"note": text} if text else None)
    return snap_layout.frozen(snapshot_id, now, state.tz, lang)


def register(app: Dash, state: Any) -> None:
    """Wire the 冻结大屏 button."""

    def on_freeze(clicks: int | None, note: str | None, search: str | None) -> list[Any] | str:
        principal = auth.current_principal()
        if not clicks or principal is None or not principal.may(LEVEL):
            raise PreventUpdate
        return freeze(state, principal, note, lang_of(state, search))

    app.callback(Output(snap_layout.STATUS, "children"), Input(snap_layout.FREEZE, "n_clicks"),
                 State(snap_layout.NOTE, "value"), State(shell.URL, "search"), prevent_initial_call=True)(on_freeze)
