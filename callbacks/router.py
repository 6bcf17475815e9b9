"""Route a URL to the layout of its screen."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote

from dash import ClientsideFunction, Dash, Input, Output, State
from flask_wtf.csrf import generate_csrf

from callbacks import audit, briefing, case, departments, desk, snapshots, wall
from dashboard import access, auth
from dashboard.websessions import Principal
from layouts import shell
from layouts.i18n import pick_lang


def render(pathname: str | None, search: str | None, state: Any, principal: Principal | None) -> Any:
    """Return the component tree of the page at a path, or the refusal when the principal may not see it.

    The request guard let this callback through for any principal; the page's own level is checked here,
    since Dash moves between pages without asking the server for them.
    """
    query = parse_qs((search or "").lstrip("?"))
    requested = query.get("lang", [""])[0] or None
    lang = pick_lang(requested, state.settings.lang)
    path = access.normalise(pathname)
    if principal is None or not principal.may(access.page_level(path)):
        return shell.forbidden(lang)
    if path == "/":
        return shell.home(state.settings.title, lang, principal, generate_csrf())
    if path == "/wall":
        return wall.page(state, lang, query, principal)
    if path == "/desk":
        return desk.page(state, search, lang, principal)
    if path == "/briefing":
        return briefing.page(state, search, lang, principal)
    if path == "/desk/audit":
        return audit.page(lang)
    if path == "/desk/departments":
        return departments.page(state, search, lang)
    if path.startswith("/desk/case/"):
        return case.page(state, principal, unquote(path.removeprefix("/desk/case/")), lang)
    if path == "/desk/snapshots":
        return snapshots.list_page(state, lang)
    if path.startswith("/desk/snapshot/"):
        return snapshots.detail_page(state, unquote(path.removeprefix("/desk/snapshot/")), lang)
    return shell.not_found(lang)


def register(app: Dash, state: Any) -> None:
    """Wire the router on one Dash app."""

    def route(pathname: str | None, search: str | None) -> Any:
        return render(pathname, search, state, auth.current_principal())

    # The query is read, not listened to: the desk writes its filters into the URL without a new page.
    app.callback(Output(shell.PAGE, "children"), Input(shell.URL, "pathname"),
                 State(shell.URL, "search"))(route)
    # The desks' doorbell socket follows the path in the browser (no server round trip, so no access rule).
    app.clientside_callback(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        ClientsideFunction("zhongshu_desk", "follow"), Output(shell.FOLLOW, "data"), Input(shell.URL, "pathname"))
    case.register(app, state)
    desk.register(app, state)
    audit.register(app, state)
    departments.register(app, state)
    briefing.register(app, state)
    snapshots.register(app, state)
