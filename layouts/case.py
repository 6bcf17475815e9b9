"""Build one case's page at the desk (/desk/case/<case_no>): header, personal data, history. Pure: no I/O.

Personal data comes masked unless the caller was allowed, with a stated reason, to see it in full; the
masking itself is datafeeds.masking's. Every text is a Dash text child, so markup in feed text shows as text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dash import dcc, html

from layouts.i18n import CATALOGUE, say, t

ROOT = "case-root"
CASE_NO = "case-no"
PERSONAL = "case-personal"
REASON = "case-unmask-reason"
UNMASK = "case-unmask"
MESSAGE = "case-unmask-message"
TIMELINE = "case-timeline"

PARTY_FIELDS = ("role", "name", "sex", "id_number", "phone", "address")
REASON_MIN = 4


def _when(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at is not None else "—"


def layout(detail: dict[str, Any], names: dict[str, dict[str, str]], lang: str, tz: ZoneInfo) -> html.Div:
    """Return the page of a case whose personal data is masked (the unmask button swaps in the full data)."""
    places, departments, categories = names["places"], names["departments"], names["categories"]
    place = " ".join(p for p in (places.get(detail["township"], detail["township"]),
                                 places.get(detail["village"] or "", "")) if p)
    facts = [
        ("case.category", categories.get(detail["category"], detail["category"])),
        ("case.state", _label(f"event.case.{detail['state']}", detail["state"], lang)),
        ("case.place", place),
        ("case.department", departments.get(detail["department"] or "", detail["department"] or "—")),
        ("case.registered_at", _when(detail["registered_at"], tz)),
        ("case.resolve_due", _when(detail["resolve_due"], tz)),
        ("case.supervision", say(f"case.supervision.{detail['supervision']}", lang)
         if detail["supervision"] in ("none", "normal", "yellow", "red") else detail["supervision"]),
    ]
    return html.Div(id=ROOT, className="zs-desk zs-case", children=[
        dcc.Store(id=CASE_NO, data=detail["case_no"]),
        html.H1([html.Span(detail["case_no"], className="zs-case-no"), " ", detail["title"]], id="case-title"),
        html.Dl(className="zs-case-facts", children=[
            part for key, value in facts for part in (html.Dt(say(key, lang)), html.Dd(value))]),
        html.Div(id=PERSONAL, children=personal(detail, lang, masked=True)),
        html.H2(say("case.timeline", lang)),
        html.Ol(id=TIMELINE, className="zs-case-timeline", children=[
            html.Li([html.Time(_when(e["at"], tz)), " ", _label(f"event.{e['type']}", e["type"], lang),
                     *([" · ", departments.get(e["department"], e["department"])] if e["department"] else []),
                     *([" · ", e["note"]] if e["note"] else [])], **_data(seq=e["seq"]))
            for e in detail["events"]]),
    ])


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



def _data(**attrs: object) -> dict[str, Any]:
    """Return Dash `data-*` attributes."""
    return {f"data-{k}": str(v) for k, v in attrs.items()}


def _label(key: str, fallback: str, lang: str) -> str:
    return t(key, lang) if key in CATALOGUE else fallback
