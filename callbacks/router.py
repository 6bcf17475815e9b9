"""Route a URL to the layout of its screen."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, Output

from callbacks import wall
from layouts import shell
from layouts.i18n import pick_lang


def render(pathname: str | None, search: str | None, state: Any) -> Any:
    """Return the component tree of the page at a path."""
    query = parse_qs((search or "").lstrip("?"))
    requested = query.get("lang", [""])[0] or None
    lang = pick_lang(requested, state.settings.lang)
    path = (pathname or "/").rstrip("/") or "/"
    if path == "/":
        return shell.home(state.settings.title, lang)
    if path == "/wall":
        return wall.page(state, lang)
    return shell.not_found(lang)


def register(app: Dash, state: Any) -> None:
    """Wire the router on one Dash app."""

    def route(pathname: str | None, search: str | None) -> Any:
        return render(pathname, search, state)

    app.callback(Output(shell.PAGE, "children"), Input(shell.URL, "pathname"),
                 Input(shell.URL, "search"))(route)
