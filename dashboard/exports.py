"""Serve exports: files a leader takes into a meeting. Each one is masked and written to the audit log."""

from __future__ import annotations

from flask import Blueprint, Response

from dashboard import accounts, auth, foliummap
from dashboard.state import get_state
from datafeeds import queries
from datafeeds.clock import utcnow
from layouts.i18n import catalogue, say

blueprint = Blueprint("exports", __name__)


@blueprint.get("/export/open-cases-map.html")
def open_cases_map() -> Response:
    """Return today's open cases on a standalone map (one HTML file that needs no network), masked."""
    state = get_state()
    principal = auth.current_principal()
    assert principal is not None  # the guard let only a signed-in leader or admin through
    lang = auth.lang()
    now = utcnow()
    cases = queries.map_cases(state.engine, now)
    labels = {**catalogue(lang), "generated": say("export.generated", lang)}
    fmap = foliummap.case_map(cases, state.boundaries(), queries.names(state.engine, lang),
                              title=f"{state.settings.county_name} · {say('export.open_cases_map', lang)}",
                              generated_at=now.astimezone(state.tz), labels=labels)
    page = foliummap.render(fmap)
    accounts.audit(state.engine, principal.actor, principal.role, "export", target="open-cases-map.html",
                   source_ip=auth.client_ip(), detail={"cases": len(cases), "format": "html"})
    stamp = now.astimezone(state.tz).strftime("%Y%m%d-%H%M")
    response = Response(page, mimetype="text/html")
    response.headers["Content-Disposition"] = f'attachment; filename="open-cases-map-{stamp}.html"'
    response.headers["Cache-Control"] = "no-store"
    return response
