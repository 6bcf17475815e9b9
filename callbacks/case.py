"""Serve one case at the desk: the page (each view audited), the unmask (needs a reason, audited), and the live
refresh of its header, timeline and assignments when the desks' doorbell names the case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from dashboard import accounts, auth
from dashboard.websessions import Principal
from datafeeds import casefile, categories, queries
from datafeeds.clock import utcnow
from datafeeds.coords import wgs84_to_gcj02
from datafeeds.masking import mask_case
from layouts import case as case_layout
from layouts import shell
from layouts.i18n import pick_lang, say

# Who may see a case's personal data in full (with a reason): an officer and every role above.
UNMASK_LEVEL = "officer"
# Who may read a case at all (the level of /desk pages, checked again for the refresh's own requests).
VIEW_LEVEL = "officer"


def _masked(state: Any, detail: dict[str, Any]) -> dict[str, Any]:
    village = queries.names(state.engine, "zh-CN")["places"].get(detail["village"] or "")
    return mask_case(detail, village)


def _points(coordinates: Any) -> Iterator[tuple[float, float]]:
    """Yield the (lon, lat) pairs of a GeoJSON Polygon or MultiPolygon's coordinates."""
    if coordinates and isinstance(coordinates[0], (int, float)):
        yield float(coordinates[0]), float(coordinates[1])
        return
    for part in coordinates or ():
        yield from _points(part)


def place(state: Any, detail: dict[str, Any]) -> dict[str, Any]:
    """Return what the case's small map draws: its village's outline (else its township's) and its pin."""
    settings = state.settings
    gcj02 = settings.tile_crs == "gcj02"
    b = state.boundaries(gcj02=gcj02)
    features = [f for f in b["villages"]["features"] if f["properties"]["code"] == detail["village"]] or \
        [f for f in b["townships"]["features"] if f["properties"]["code"] == detail["township"]]
    lat, lon = detail["pin"]["lat"], detail["pin"]["lon"]
    if gcj02:
        lat, lon = wgs84_to_gcj02(lat, lon)
    points = [(lon, lat), *(p for f in features for p in _points(f["geometry"]["coordinates"]))]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return {
        "shape": {"type": "FeatureCollection", "features": features} if features else None,
        "point": [lat, lon],
        "bounds": [[min(lats), min(lons)], [max(lats), max(lons)]] if len(points) > 1 else None,
        "tiles": ({"url": settings.tile_url, "subdomains": settings.tile_subdomains,
                   "attribution": settings.tile_attribution} if settings.tile_url else None),
        "risk": detail["risk"],
        "sensitive": categories.is_sensitive(detail["category"]),
    }


def page(state: Any, principal: Principal, case_no: str, lang: str, now: datetime | None = None) -> Any:
    """Return a case's page with its personal data masked, and write the view to the audit log."""
    now = now or utcnow()
    detail = casefile.case_file(state.engine, case_no, now)
    if detail is None:
        return case_layout.missing(case_no, lang)
    accounts.audit(state.engine, principal.actor, principal.role, "case.view", target=case_no,
                   source_ip=auth.client_ip())
    related = casefile.related_cases(state.engine, case_no)
    return case_layout.layout(_masked(state, detail), related, queries.names(state.engine, lang),
                              place(state, detail), lang, state.tz, now, casefile.RELATED_MAX,
                              casefile.RELATED_WINDOW.days)


def refresh(state: Any, principal: Principal | None, bell: Any, case_no: str | None, lang: str,
            now: datetime | None = None) -> tuple[list[Any], list[Any], list[Any]]:
    """Return the case's header, timeline and assignments re-read, when the bell names it (or anything changed).

    Not audited again: it refreshes the view the page's opening wrote to the log, showing nothing more. The
    personal part is left alone, so a view unmasked with a reason stays as it is.
    """
    if principal is None or not principal.may(VIEW_LEVEL) or not case_no or not isinstance(bell, dict):
        raise PreventUpdate
    cases = bell.get("cases")
    if cases is not None and (not isinstance(cases, list) or case_no not in cases):
        raise PreventUpdate
    now = now or utcnow()
    detail = casefile.case_file(state.engine, case_no, now)
    if detail is None:
        raise PreventUpdate
    shown, names = _masked(state, detail), queries.names(state.engine, lang)
    return (case_layout.header(shown, names, lang, state.tz, now), case_layout.timeline(shown, names, lang, state.tz),
            case_layout.assignments(shown, names, lang, state.tz))


def unmask(state: Any, principal: Principal | None, case_no: str | None, reason: str | None,
           lang: str) -> list[Any]:
    """Return the case's personal part in full when the principal may and gave a reason (audited), else masked."""
    if principal is None or not principal.may(UNMASK_LEVEL) or not case_no:
        raise PreventUpdate
    detail = queries.case_detail(state.engine, case_no)
    if detail is None:
        raise PreventUpdate
    reason = " ".join((reason or "").split())
    if len(reason) < case_layout.REASON_MIN:
        return case_layout.personal(_masked(state, detail), lang, masked=True,
                                    message=say("case.unmask_needs_reason", lang))
    accounts.audit(state.engine, principal.actor, principal.role, "case.unmask", target=case_no, reason=reason,
                   source_ip=auth.client_ip())
    return case_layout.personal(detail, lang, masked=False, reason=reason)


def _lang(state: Any, search: str | None) -> str:
    requested = (search or "").partition("lang=")[2].partition("&")[0] or None
    return pick_lang(requested, state.settings.lang)


def register(app: Dash, state: Any) -> None:
    """Wire the unmask button and the live refresh."""

    def on_unmask(n_clicks: int | None, reason: str | None, case_no: str | None, search: str | None) -> list[Any]:
        if not n_clicks:
            raise PreventUpdate
        return unmask(state, auth.current_principal(), case_no, reason, _lang(state, search))

    app.callback(Output(case_layout.PERSONAL, "children"), Input(case_layout.UNMASK, "n_clicks"),
                 State(case_layout.REASON, "value"), State(case_layout.CASE_NO, "data"),
                 State(shell.URL, "search"), prevent_initial_call=True)(on_unmask)

    def on_bell(bell: Any, case_no: str | None, search: str | None) -> tuple[list[Any], list[Any], list[Any]]:
        return refresh(state, auth.current_principal(), bell, case_no, _lang(state, search))

    app.callback(Output(case_layout.HEADER, "children"), Output(case_layout.TIMELINE, "children"),
                 Output(case_layout.ASSIGNMENTS, "children"), Input(shell.BELL, "data"),
                 State(case_layout.CASE_NO, "data"), State(shell.URL, "search"),
                 prevent_initial_call=True)(on_bell)
