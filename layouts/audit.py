"""Build the audit log page for admins (/desk/audit): filters, the rows newest first, paging. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dash import dcc, html

from layouts.i18n import say

ROOT = "audit-root"
ACTION = "audit-action"
ACTOR = "audit-actor"
TABLE = "audit-table"
NEWER = "audit-newer"
OLDER = "audit-older"
OFFSET = "audit-offset"
PAGE_SIZE = 50
COLUMNS = ("at", "actor", "role", "action", "target", "reason", "source_ip", "detail")


def layout(actions: list[str], lang: str) -> html.Div:
    """Return the page frame; the callback fills the table."""
    return html.Div(id=ROOT, className="zs-desk zs-audit", children=[
        html.H1(say("audit.title", lang)),
        html.Div(className="zs-filters", children=[
            dcc.Dropdown(id=ACTION, options=[{"label": a, "value": a} for a in actions], value=None,
                         placeholder=say("audit.all_actions", lang), clearable=True, style={"minWidth": "14em"}),
            dcc.Input(id=ACTOR, type="search", placeholder=say("audit.actor_filter", lang), debounce=True, value=""),
        ]),
        dcc.Store(id=OFFSET, data=0),
        html.Div(id=TABLE),
        html.Div(className="zs-pager", children=[html.Button(say("audit.newer", lang), id=NEWER, n_clicks=0),
                                                 html.Button(say("audit.older", lang), id=OLDER, n_clicks=0)]),
    ])


def table(rows: list[dict[str, Any]], offset: int, lang: str, tz: ZoneInfo) -> list[Any]:
    """Return the rows as a table (text only: a name typed at sign-in shows as typed, inert)."""
    if not rows:
        return [html.P(say("audit.empty", lang), className="zs-empty")]
    head = html.Thead(html.Tr([html.Th(say(f"audit.{c}", lang)) for c in COLUMNS]))
    body = html.Tbody([html.Tr([html.Td(_cell(row, c, tz)) for c in COLUMNS], className=f"zs-audit-{row['action']}")
                       for row in rows])
    return [html.P(say("audit.page", lang, page=offset // PAGE_SIZE + 1), className="zs-page-no"),
            html.Table(className="zs-table", children=[head, body])]


def _cell(row: dict[str, Any], column: str, tz: ZoneInfo) -> str:
    value = row.get(column)
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else str(value)
