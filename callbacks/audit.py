"""Serve the audit log to admins: filter by action and actor, page through newest first."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from dashboard import accounts, auth
from layouts import audit as audit_layout
from layouts import shell
from layouts.i18n import pick_lang

LEVEL = "admin"


def page(lang: str) -> Any:
    """Return the audit page's frame."""
    return audit_layout.layout(sorted(accounts.ACTIONS), lang)


def rows(state: Any, action: str | None, actor: str | None, offset: int) -> list[dict[str, Any]]:
    """Return one page of audit rows as plain dicts."""
    found = accounts.read_audit(state.engine, limit=audit_layout.PAGE_SIZE, offset=offset,
                                action=action or None, actor=(actor or "").strip() or None)
    return [{c: getattr(r, c) for c in audit_layout.COLUMNS} for r in found]


def register(app: Dash, state: Any) -> None:
    """Wire the filters and the pager."""

    def show(action: str | None, actor: str | None, _newer: int, _older: int, offset: int | None,
             search: str | None) -> tuple[list[Any], int]:
        principal = auth.current_principal()
        if principal is None or not principal.may(LEVEL):
            raise PreventUpdate
        offset = int(offset or 0)
        if ctx.triggered_id == audit_layout.OLDER:
            offset += audit_layout.PAGE_SIZE
        elif ctx.triggered_id == audit_layout.NEWER:
            offset = max(0, offset - audit_layout.PAGE_SIZE)
        else:
            offset = 0  # a new filter starts at the newest rows
        found = rows(state, action, actor, offset)
        if not found and offset and ctx.triggered_id == audit_layout.OLDER:
            offset -= audit_layout.PAGE_SIZE  # past the oldest row: stay on the last page
            found = rows(state, action, actor, offset)
        requested = (search or "").partition("lang=")[2].partition("&")[0] or None
        lang = pick_lang(requested, state.settings.lang)
        return audit_layout.table(found, offset, lang, state.tz), offset

    app.callback(Output(audit_layout.TABLE, "children"), Output(audit_layout.OFFSET, "data"),
                 Input(audit_layout.ACTION, "value"), Input(audit_layout.ACTOR, "value"),
                 Input(audit_layout.NEWER, "n_clicks"), Input(audit_layout.OLDER, "n_clicks"),
                 State(audit_layout.OFFSET, "data"), State(shell.URL, "search"))(show)
