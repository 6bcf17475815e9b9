"""Build the frozen walls' pages: the desk's 冻结大屏 bar, the list (/desk/snapshots) and one snapshot
(/desk/snapshot/<id>) with its figures as the wall labels them, its map and its leagues. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dash import dcc, html

from datafeeds.snapshots import NOTE_MAX, Snapshot
from layouts.i18n import say, t
from layouts.wall import COUNTERS

FREEZE = "snap-freeze"
NOTE = "snap-note"
STATUS = "snap-status"
LIST = "snap-list"
FIGURES = "snap-figures"
MAP = "snap-map"
RATES = ("month_resolution_rate", "success_rate", "satisfaction_rate")


def href(path: str, lang: str) -> str:
    """Return a link to one of our pages in the page's language."""
    return path if lang == "zh-CN" else f"{path}?lang=en"


def snapshot_href(snapshot_id: int, lang: str) -> str:
    """Return the link to one snapshot's page."""
    return href(f"/desk/snapshot/{snapshot_id}", lang)


def map_src(snapshot_id: int, lang: str) -> str:
    """Return the address of a snapshot's map (dashboard.exports serves it)."""
    return href(f"/export/snapshot/{snapshot_id}/map.html", lang)


def when(at: datetime, tz: ZoneInfo) -> str:
    """Return a moment as the desk writes it, in local time."""
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def freeze_bar(lang: str) -> html.Div:
    """Return the desk's 冻结大屏 bar: an optional note, the button, and where the answer shows."""
    return html.Div(className="zs-snap-bar", children=[
        html.Label(className="zs-snap-note-field", children=[
            html.Span(say("snap.col.note", lang)),
            dcc.Input(id=NOTE, type="text", value="", maxLength=NOTE_MAX, debounce=False,
                      placeholder=say("snap.note_hint", lang)),
        ]),
        html.Button(say("snap.freeze", lang), id=FREEZE, n_clicks=0, className="zs-button"),
        html.A(say("snap.list_link", lang), href=href("/desk/snapshots", lang)),
        html.Span(id=STATUS, className="zs-snap-status", role="status"),
    ])


def frozen(snapshot_id: int, at: datetime, tz: ZoneInfo, lang: str) -> list[Any]:
    """Return the bar's answer once the wall is frozen: when, its number, and the link to it."""
    return [say("snap.frozen", lang, at=when(at, tz), id=snapshot_id), " ",
            html.A(say("snap.open", lang), href=snapshot_href(snapshot_id, lang))]


def figure_value(key: str, figures: dict[str, Any]) -> str:
    """Return one headline figure as the wall shows it: a count, a percentage, or the cards' pair."""
    if key == "supervised":
        return f"{figures.get('yellow', 0)} / {figures.get('red', 0)}"
    value = figures.get(key)
    if key in RATES:
        if value is None:
            return "—"
        return f"{round(value * 100)}%" if value >= 0.9995 else f"{value * 100:.1f}%"
    return str(value if value is not None else "—")


def figures_line(figures: dict[str, Any], lang: str) -> str:
    """Return every headline figure on one line, for the list."""
    return " · ".join(f"{t(f'counter.{key}', lang)} {figure_value(key, figures)}" for key in COUNTERS)


def list_page(snaps: list[Snapshot], limit: int, tz: ZoneInfo, lang: str) -> html.Div:
    """Return the list of snapshots, newest first."""
    head = html.Thead(html.Tr([html.Th(say(f"snap.col.{c}", lang))
                               for c in ("id", "taken_at", "taken_by", "note", "figures")]))
    body = html.Tbody([html.Tr(className="zs-snap-row", children=[
        html.Td(html.A(str(s.id), href=snapshot_href(s.id, lang))), html.Td(when(s.taken_at, tz)),
        html.Td(s.taken_by), html.Td(s.note), html.Td(figures_line(s.figures, lang))]) for s in snaps])
    return html.Div(className="zs-desk zs-snapshots", children=[
        _header(say("snap.list_title", lang), lang, all_link=False),
        html.P(say("snap.list_note", lang, n=limit), className="zs-desk-kouj"),
        html.Table(id=LIST, className="zs-table", children=[head, body]) if snaps else
        html.P(say("snap.empty", lang), className="zs-empty"),
    ])


def detail_page(snap: Snapshot, names: dict[str, dict[str, str]], tz: ZoneInfo, lang: str) -> html.Div:
    """Return one snapshot: who froze it and when, its headline figures, its map and its leagues."""
    leagues = snap.panels.get("leagues") or {}
    return html.Div(className="zs-desk zs-snapshot", children=[
        _header(say("snap.title", lang, id=snap.id), lang, all_link=True),
        html.P(say("snap.taken", lang, at=when(snap.taken_at, tz), tz=str(tz), who=snap.taken_by, seq=snap.seq),
               className="zs-snap-taken"),
        *([html.P(say("snap.note", lang, note=snap.note), className="zs-snap-note")] if snap.note else []),
        html.H2(say("snap.figures", lang, day=snap.figures.get("day", ""))),
        html.Div(id=FIGURES, className="zs-snap-figures", children=[
            html.Div(className=f"zs-snap-figure zs-snap-figure-{key}", children=[
                html.Div(t(f"counter.{key}", lang), className="zs-snap-label"),
                html.Div(figure_value(key, snap.figures), className="zs-snap-value")]) for key in COUNTERS]),
        html.H2(say("snap.map", lang, n=len(snap.pins))),
        html.Iframe(id=MAP, src=map_src(snap.id, lang), className="zs-snap-map", sandbox="allow-scripts",
                    title=say("snap.map_title", lang, id=snap.id)),
        html.H2(t("panel.departments", lang)),
        _departments(leagues.get("departments") or [], names["departments"], lang),
        html.H2(t("panel.townships", lang)),
        _townships(leagues.get("townships") or [], names["places"], lang),
    ])


def missing(snapshot_id: str, lang: str) -> html.Div:
    """Return the page of a snapshot that does not exist."""
    return html.Div(className="zs-desk zs-snapshot", children=[
        _header(say("snap.missing", lang, id=snapshot_id), lang, all_link=True)])


def _header(title: str, lang: str, *, all_link: bool) -> html.Header:
    links = [html.A(say("snap.all", lang), href=href("/desk/snapshots", lang))] if all_link else []
    return html.Header(className="zs-desk-head", children=[
        html.H1(title),
        html.Nav(className="zs-desk-nav", children=[
            *links, html.A(say("snap.desk_link", lang), href=href("/desk", lang))]),
    ])


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{round(rate * 100)}%"


def _hours(h: float | None, lang: str) -> str:
    return "—" if h is None else f"{h}{t('league.hours', lang)}"


def _departments(rows: list[dict[str, Any]], names: dict[str, str], lang: str) -> html.Table | html.P:
    if not rows:
        return html.P(t("league.none", lang), className="zs-empty")
    head = html.Thead(html.Tr([html.Th(t(f"dept.{c}", lang)) for c in ("name", "sign", "resolve", "on_time",
                                                                         "overdue")]))
    return html.Table(className="zs-table zs-snap-league", children=[head, html.Tbody([
        html.Tr([html.Td(names.get(r["department"], r["department"])), html.Td(_hours(r["sign_median_h"], lang)),
                 html.Td(_hours(r["resolve_median_h"], lang)), html.Td(_pct(r["on_time_rate"])),
                 html.Td(str(r["overdue"]))]) for r in rows])])


def _townships(rows: list[dict[str, Any]], names: dict[str, str], lang: str) -> html.Table | html.P:
    if not rows:
        return html.P(t("league.none", lang), className="zs-empty")
    head = html.Thead(html.Tr([html.Th(say("desk.f.township", lang)), html.Th(t("trend.registered", lang)),
                               html.Th(t("counter.success_rate", lang)), html.Th(t("dept.overdue", lang))]))
    return html.Table(className="zs-table zs-snap-league", children=[head, html.Tbody([
        html.Tr([html.Td(names.get(r["township"], r["township"])), html.Td(str(r["registered"])),
                 html.Td(_pct(r["success_rate"])), html.Td(str(r["overdue"]))]) for r in rows])])
