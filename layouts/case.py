"""Build one case's page at the desk (/desk/case/<case_no>): header with risk and deadline, personal data, a small
map, the timeline, the assignments and the related cases. Pure: no I/O.

Personal data comes masked unless the caller was allowed, with a stated reason, to see it in full; the
masking itself is datafeeds.masking's. Every text is a Dash text child, so markup in feed text shows as text.
The header, timeline and assignments are separate containers: the live refresh replaces them and leaves the
personal part (perhaps unmasked on request) as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import dash_leaflet as dl
from dash import dcc, html

from layouts.i18n import CATALOGUE, say, t

ROOT = "case-root"
CASE_NO = "case-no"
HEADER = "case-header"
PERSONAL = "case-personal"
REASON = "case-unmask-reason"
UNMASK = "case-unmask"
MESSAGE = "case-unmask-message"
TIMELINE = "case-timeline"
ASSIGNMENTS = "case-assignments"
RELATED = "case-related"
MAP = "case-map"

PARTY_FIELDS = ("role", "name", "sex", "id_number", "phone", "address")
REASON_MIN = 4
STATES = ("registered", "triaged", "assigned", "signed", "in_progress", "returned", "resolved", "visited",
          "closed", "referred", "terminated")
SUPERVISION = ("none", "normal", "yellow", "red")
ASSIGNMENT_STATUS = ("pending", "signed", "resolved", "returned", "reassigned", "closed")
EXTENSION = ("requested", "granted", "refused")
REASONS = ("address", "village", "party")
RISK_COLOURS = {"normal": "#3fb27f", "warning": "#f0b429", "overdue": "#ff5d5d", "major": "#c77dff"}


def _when(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at is not None else "—"


def span(seconds: float, lang: str) -> str:
    """Return a duration as days and hours, hours and minutes, or minutes."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return say("case.span.days", lang, d=days, h=hours)
    if hours:
        return say("case.span.hours", lang, h=hours, m=mins)
    if mins:
        return say("case.span.minutes", lang, m=mins)
    return say("case.span.under_minute", lang)


def clock_text(clock: dict[str, Any], lang: str) -> str:
    """Return what a deadline's clock says (left, overdue, on time, late, stopped, no deadline)."""
    kind = clock["kind"]
    if kind in ("left", "overdue", "late"):
        return say(f"case.clock.{kind}", lang, span=span(clock["seconds"], lang))
    return say(f"case.clock.{kind}", lang)


def layout(detail: dict[str, Any], related_rows: list[dict[str, Any]], names: dict[str, dict[str, str]],
           place: dict[str, Any], lang: str, tz: ZoneInfo, now: datetime, related_cap: int,
           related_days: int) -> html.Div:
    """Return the page of a case whose personal data is masked (the unmask button swaps in the full data).

    `place` is the small map's content: `shape` (GeoJSON of the village, or the township), `point` ([lat, lon]
    where the wall pins the case), `bounds` and `tiles` (None draws the shape alone).
    """
    return html.Div(id=ROOT, className="zs-desk zs-case", children=[
        dcc.Store(id=CASE_NO, data=detail["case_no"]),
        html.Nav(className="zs-desk-nav zs-case-nav", children=[
            html.A(say("desk.title", lang), href="/desk" if lang == "zh-CN" else "/desk?lang=en")]),
        html.Div(id=HEADER, children=header(detail, names, lang, tz, now)),
        html.Div(className="zs-case-columns", children=[
            html.Div(id=PERSONAL, className="zs-case-main", children=personal(detail, lang, masked=True)),
            html.Section(className="zs-case-place", children=[
                html.H2(say("case.map", lang)), case_map(place),
                *([html.P(say("case.map_sensitive", lang), className="zs-case-note")] if place.get("sensitive")
                  else []),
            ]),
        ]),
        html.H2(say("case.timeline", lang)),
        html.Div(id=TIMELINE, children=timeline(detail, names, lang, tz)),
        html.H2(say("case.assignments", lang)),
        html.Div(id=ASSIGNMENTS, children=assignments(detail, names, lang, tz)),
        html.H2(say("case.related", lang)),
        html.Div(id=RELATED, children=related(related_rows, names, lang, tz, related_cap, related_days)),
    ])


def header(detail: dict[str, Any], names: dict[str, dict[str, str]], lang: str, tz: ZoneInfo,
           now: datetime) -> list[Any]:
    """Return the case's header: number and title, then category, state, risk, deadline, supervision, place."""
    places, departments, categories = names["places"], names["departments"], names["categories"]
    place = " ".join(p for p in (places.get(detail["township"], detail["township"]),
                                 places.get(detail["village"] or "", "")) if p)
    risk = detail.get("risk")
    deadline = detail["deadline"]
    facts: list[tuple[str, Any, str | None]] = [
        ("case.category", categories.get(detail["category"], detail["category"]), None),
        ("case.state", state_name(detail["state"], lang), "case-state"),
        ("case.risk", html.Span(t(f"risk.{risk}", lang), className=f"zs-risk zs-risk-{risk}") if risk else "—",
         "case-risk"),
        ("case.deadline", html.Span(clock_text(deadline, lang), className=f"zs-clock zs-clock-{deadline['kind']}"),
         "case-countdown"),
        ("case.resolve_due", _when(detail["resolve_due"], tz), None),
        ("case.supervision", _supervision(detail["supervision"], lang), "case-supervision"),
        ("case.place", place, None),
        ("case.department", departments.get(detail["department"] or "", detail["department"] or "—"), None),
        ("case.registered_at", _when(detail["registered_at"], tz), None),
    ]
    return [
        html.H1([html.Span(detail["case_no"], className="zs-case-no"), " ", detail["title"]], id="case-title"),
        html.Dl(className="zs-case-facts", children=[
            part for key, value, id_ in facts
            for part in (html.Dt(say(key, lang)), html.Dd(value, id=id_) if id_ else html.Dd(value))]),
        html.P(say("case.clock_note", lang, at=_when(now, tz)), className="zs-case-note", id="case-clock-note"),
    ]


def timeline(detail: dict[str, Any], names: dict[str, dict[str, str]], lang: str, tz: ZoneInfo) -> list[Any]:
    """Return the history: each step's time, what happened, the state it moved, who acted, its note, and the
    time since the step before (and, on the last, how long the case has been in its state)."""
    events = detail["events"]
    if not events:
        return [html.P(say("case.tl.empty", lang), className="zs-empty")]
    departments = names["departments"]
    head = html.Thead(html.Tr([html.Th(say(f"case.tl.{c}", lang))
                               for c in ("at", "event", "states", "department", "note", "took")]))
    rows = []
    for e in events:
        took: list[Any] = [span(e["since_prev"], lang) if e["since_prev"] is not None else "—"]
        if e.get("in_state") is not None:
            took.append(html.Div(say("case.tl.in_state", lang, span=span(e["in_state"], lang)),
                                 className="zs-case-in-state"))
        rows.append(html.Tr([
            html.Td(html.Time(_when(e["at"], tz))),
            html.Td(_label(f"event.{e['type']}", e["type"], lang)),
            html.Td(_moved(e.get("from"), e.get("to"), lang)),
            html.Td(departments.get(e["department"], e["department"]) if e["department"] else "—"),
            html.Td(e["note"] or ""),
            html.Td(took),
        ], className="zs-case-step", **_data(seq=e["seq"])))
    return [html.Table(className="zs-table zs-case-timeline", children=[head, html.Tbody(rows)]),
            html.P(say("case.tl.count", lang, n=len(events)), className="zs-case-note", id="case-timeline-count")]


def assignments(detail: dict[str, Any], names: dict[str, dict[str, str]], lang: str, tz: ZoneInfo) -> list[Any]:
    """Return the assignments, oldest first, with their sign-for and resolve clocks."""
    rows = detail["assignments"]
    if not rows:
        return [html.P(say("case.as.empty", lang), className="zs-empty")]
    departments = names["departments"]
    columns = ("department", "assigned_at", "sign_due", "signed_at", "resolve_due", "resolved_at", "status",
               "extension")
    head = html.Thead(html.Tr([html.Th(say(f"case.as.{c}", lang)) for c in columns]))
    body = []
    for a in rows:
        sign, resolve = a["sign"], a["resolve"]
        body.append(html.Tr([
            html.Td(departments.get(a["department"], a["department"])),
            html.Td(_when(a["assigned_at"], tz)),
            html.Td(_when(sign["due"], tz)),
            html.Td(_clocked(sign, lang, tz)),
            html.Td(_when(resolve["due"], tz)),
            html.Td(_clocked(resolve, lang, tz)),
            html.Td(_named("case.as.status", a["status"], ASSIGNMENT_STATUS, lang)),
            html.Td(_named("case.as.extension", a["extension"], EXTENSION, lang) if a["extension"] else "—"),
        ], className=f"zs-case-assignment zs-case-assignment-{a['status']}"))
    return [html.Table(className="zs-table zs-case-assignments", children=[head, html.Tbody(body)])]


def related(rows: list[dict[str, Any]], names: dict[str, dict[str, str]], lang: str, tz: ZoneInfo,
            cap: int, days: int) -> list[Any]:
    """Return the related cases (titles already masked), each linked to its page, with why it is related."""
    hint = html.P(say("case.rel.hint", lang, n=cap, days=days), className="zs-case-note")
    if not rows:
        return [hint, html.P(say("case.rel.empty", lang), className="zs-empty")]
    categories = names["categories"]
    suffix = "" if lang == "zh-CN" else "?lang=en"
    head = html.Thead(html.Tr([html.Th(say(f"case.rel.{c}", lang))
                               for c in ("case_no", "category", "state", "registered", "title", "reasons")]))
    body = [html.Tr([
        html.Td(dcc.Link(r["case_no"], href=f"/desk/case/{quote(r['case_no'], safe='')}{suffix}")),
        html.Td(categories.get(r["category"], r["category"])),
        html.Td(state_name(r["state"], lang)),
        html.Td(r["registered_at"].astimezone(tz).strftime("%Y-%m-%d")),
        html.Td(r["title"]),
        html.Td(" · ".join(say(f"case.rel.{reason}", lang) for reason in r["reasons"] if reason in REASONS)),
    ], className="zs-case-related-row " + " ".join(f"zs-rel-{x}" for x in r["reasons"]),
        **_data(case=r["case_no"])) for r in rows]
    return [hint, html.Table(className="zs-table zs-case-related", children=[head, html.Tbody(body)])]


def case_map(place: dict[str, Any]) -> dl.Map:
    """Return the small map: the place's outline and one marker, offline unless a tile source is configured."""
    tiles = place.get("tiles")
    point = place["point"]
    return dl.Map(
        id=MAP, className="zs-case-map",
        # The outline's bounds frame the map; a map given a centre as well keeps the centre and its zoom.
        **({"bounds": place["bounds"], "boundsOptions": {"padding": [16, 16]}} if place.get("bounds")
           else {"center": point, "zoom": 13}),
        trackViewport=False, scrollWheelZoom=False, attributionControl=bool(tiles and tiles["attribution"]),
        children=[
            *([dl.TileLayer(url=tiles["url"], subdomains=tiles["subdomains"] or "abc",
                            attribution=tiles["attribution"], maxZoom=18)] if tiles else []),
            *([dl.GeoJSON(data=place["shape"], interactive=False,
                          style={"color": "#4fa3ff", "weight": 2, "fillColor": "#0c2a4d", "fillOpacity": 0.35})]
              if place.get("shape") else []),
            # A circle, not Leaflet's default marker: that one is an <img> whose file would have to ship too.
            dl.CircleMarker(center=point, radius=8, color="#ffffff", weight=2, fillOpacity=0.9,
                            fillColor=RISK_COLOURS.get(place.get("risk") or "", "#7f93b5")),
        ],
    )


def personal(detail: dict[str, Any], lang: str, *, masked: bool, reason: str | None = None,
             message: str | None = None) -> list[Any]:
    """Return the personal part of the page: address, description and parties, masked or in full."""
    head = [html.Th(say(f"case.party.{f}", lang)) for f in PARTY_FIELDS]
    rows = [html.Tr([html.Td(_party_value(p, f, lang)) for f in PARTY_FIELDS]) for p in detail["parties"]]
    if masked:
        control: list[Any] = [
            html.P(say("case.masked_note", lang), className="zs-case-note"),
            html.Label([say("case.unmask_reason", lang), dcc.Input(id=REASON, type="text", maxLength=200,
                                                                   debounce=False, value="")]),
            html.Button(say("case.unmask", lang), id=UNMASK, n_clicks=0),
            html.P(message or "", id=MESSAGE, className="zs-case-message"),
        ]
    else:
        control = [html.P(say("case.unmasked_note", lang, reason=reason or ""), id=MESSAGE,
                          className="zs-case-note zs-case-unmasked")]
    return [
        html.H2(say("case.parties", lang)),
        html.Dl(className="zs-case-facts", children=[
            html.Dt(say("case.address", lang)), html.Dd(detail["address"] or "—", id="case-address"),
            html.Dt(say("case.description", lang)), html.Dd(detail["description"] or "—", id="case-description"),
        ]),
        html.Table(id="case-parties", className="zs-table", children=[html.Thead(html.Tr(head)), html.Tbody(rows)]),
        *control,
    ]


def _party_value(party: dict[str, Any], field: str, lang: str) -> str:
    value = str(party.get(field) or "")
    if field == "role" and value in ("applicant", "respondent", "other"):
        return say(f"case.role.{value}", lang)
    if field == "sex" and value in ("M", "F"):
        return say(f"case.sex.{value}", lang)
    return value or "—"


def missing(case_no: str, lang: str) -> html.Div:
    """Return the page for a case number the store does not know."""
    return html.Div(className="zs-home", children=[html.H1(say("case.missing", lang, case_no=case_no)),
                                                    html.P(html.A(t("page.home", lang), href="/"))])


def state_name(state: str | None, lang: str) -> str:
    """Return a case state's name (a state the page does not know shows as stored)."""
    return _named("case.state", state, STATES, lang)


def _supervision(level: str, lang: str) -> Any:
    return html.Span(_named("case.supervision", level, SUPERVISION, lang), className=f"zs-supervision-{level}")


def _named(prefix: str, value: str | None, known: tuple[str, ...], lang: str) -> str:
    if value is None:
        return "—"
    return say(f"{prefix}.{value}", lang) if value in known else value


def _moved(before: str | None, after: str | None, lang: str) -> str:
    if before is None:
        return state_name(after, lang)
    if before == after or after is None:
        return state_name(before, lang)
    return f"{state_name(before, lang)} → {state_name(after, lang)}"


def _clocked(clock: dict[str, Any], lang: str, tz: ZoneInfo) -> Any:
    """Return when a step was done and how it met its deadline, or how its clock stands."""
    kind = clock["kind"]
    status = html.Span(clock_text(clock, lang), className=f"zs-clock zs-clock-{kind}")
    if clock["at"] is not None:
        return [_when(clock["at"], tz), " · ", status] if kind != "none" else _when(clock["at"], tz)
    return status


def _data(**attrs: object) -> dict[str, Any]:
    """Return Dash `data-*` attributes."""
    return {f"data-{k}": str(v) for k, v in attrs.items()}


def _label(key: str, fallback: str, lang: str) -> str:
    return t(key, lang) if key in CATALOGUE else fallback
