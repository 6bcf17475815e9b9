"""Build the frame every page renders into, and the small pages (home, not found)."""

from __future__ import annotations

from dash import dcc, html

from layouts.i18n import t

URL = "url"
PAGE = "page"


def layout() -> html.Div:
    """Return the frame: the URL and the slot the router fills."""
    return html.Div([dcc.Location(id=URL, refresh=False), html.Div(id=PAGE, className="zs-page")])


def home(title: str, lang: str) -> html.Div:
    """Return the landing page with links to the screens."""
    suffix = "" if lang == "zh-CN" else "?lang=en"
    return html.Div(className="zs-home", children=[
        html.H1(title),
        html.P(html.A(t("page.go_wall", lang), href=f"/wall{suffix}")),
    ])


def not_found(lang: str) -> html.Div:
    """Return the page shown for an unknown path."""
    return html.Div(className="zs-home", children=[html.H1(t("page.not_found", lang)),
                                                    html.P(html.A(t("page.home", lang), href="/"))])
