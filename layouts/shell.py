"""Build the frame every page renders into, and the small pages (home, not found)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from layouts.i18n import say, t

URL = "url"
PAGE = "page"
# The desks' doorbell: on /desk pages assets/zhongshu-desk.js sets its data to {"seq", "cases", "n"} when pushed
# cases changed (`cases` null: anything may have changed, after a reconnect); desk callbacks re-read on it.
BELL = "desk-bell"
# Written by the clientside callback that starts or stops the desk's socket as the path moves in and out of /desk.
FOLLOW = "desk-follow"


def layout() -> html.Div:
    """Return the frame: the URL, the desks' doorbell and the slot the router fills."""
    return html.Div([dcc.Location(id=URL, refresh=False), dcc.Store(id=BELL), dcc.Store(id=FOLLOW),
                     html.Div(id=PAGE, className="zs-page")])


def home(title: str, lang: str, who: Any = None, csrf: str | None = None) -> html.Div:
    """Return the landing page with links to the screens, and who is signed in with a sign-out button."""
    suffix = "" if lang == "zh-CN" else "?lang=en"
    return html.Div(className="zs-home", children=[
        html.H1(title),
        html.P(html.A(t("page.go_wall", lang), href=f"/wall{suffix}")),
        *([html.P(html.A(say("page.desk_link", lang), href=f"/desk{suffix}", id="zs-desk-link")),
           html.P(html.A(say("page.desk_wall_link", lang), href=f"/wall{suffix or '?'}{'&' if suffix else ''}desk=1",
                         id="zs-desk-wall-link"))]
          if who is not None and who.may("officer") else []),
        *([html.P(html.A(say("briefing.link", lang), href=f"/briefing{suffix}", id="zs-briefing-link")),
           html.P(html.A(say("page.export_map", lang), href=f"/export/open-cases-map.html{suffix}",
                         id="zs-export-map"))] if who is not None and who.may("leader") else []),
        *([html.P(html.A(say("page.audit_link", lang), href=f"/desk/audit{suffix}", id="zs-audit-link"))]
          if who is not None and who.may("admin") else []),
        *([signed_in(who, csrf, lang)] if who is not None and who.kind == "user" and csrf else []),
    ])


def signed_in(who: Any, csrf: str, lang: str) -> html.Form:
    """Return who is signed in and the sign-out button (a POST with its CSRF token)."""
    action = "/signout" if lang == "zh-CN" else "/signout?lang=en"
    return html.Form(className="zs-whoami", action=action, method="POST", children=[
        html.Span(say("auth.signed_in_as", lang, name=who.name, role=say(f"role.{who.role}", lang)),
                  id="zs-whoami"),
        dcc.Input(type="hidden", name="csrf_token", value=csrf),
        html.Button(say("auth.signout", lang), type="submit", id="zs-signout"),
    ])


def forbidden(lang: str) -> html.Div:
    """Return the refusal shown for a page the principal may not see."""
    return html.Div(className="zs-home", children=[html.H1(say("auth.forbidden", lang)),
                                                    html.P(html.A(t("page.home", lang), href="/"))])


def not_found(lang: str) -> html.Div:
    """Return the page shown for an unknown path."""
    return html.Div(className="zs-home", children=[html.H1(t("page.not_found", lang)),
                                                    html.P(html.A(t("page.home", lang), href="/"))])


def with_lang(path: str, query: Mapping[str, str], lang: str) -> str:
    """Return a path with a query, and the language when it is not the default (links between pages keep it)."""
    args = {**query, **({"lang": lang} if lang != "zh-CN" else {})}
    return f"{path}?{urlencode(args)}" if args else path
