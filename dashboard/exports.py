"""Serve exports: files a leader takes into a meeting, the desk's lists. Each one is masked and audited."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, request

from dashboard import accounts, auth, foliummap
from dashboard.state import get_state
from datafeeds import deskqueries, queries, snapshots
from datafeeds.clock import utcnow
from datafeeds.deskqueries import CaseFilter, FilterError
from layouts import desk as desk_layout
from layouts.case import REASON_MIN
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


# Rows one export may carry: the desk pages no further either (deskqueries.OFFSET_MAX).
EXPORT_MAX = deskqueries.OFFSET_MAX
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """Return a cell's text as a spreadsheet shows it and never runs it (a leading = + - @ starts a formula)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


# Who may export the desk's list with personal data in full, and how long the stated reason must be.
FULL_LEVEL = "leader"
FULL_COLUMNS = ("title_full", "address", "parties")


def _full_reason() -> str | None:
    """Return the stated reason when this request asks for personal data in full (refused unless allowed)."""
    if request.args.get("full") != "1":
        return None
    principal = auth.current_principal()
    if principal is None or not principal.may(FULL_LEVEL):
        abort(403, description="personal data in full: leaders and admins only")
    reason = " ".join((request.args.get("reason") or "").split())
    if len(reason) < REASON_MIN:
        abort(400, description=f"personal data in full needs a reason of at least {REASON_MIN} characters")
    return reason


def _party_text(parties: list[dict[str, Any]]) -> str:
    return "；".join(" ".join(str(p.get(k) or "") for k in ("name", "phone", "id_number") if p.get(k))
                    for p in parties)


def _desk_rows(lang: str, full: bool) -> tuple[list[str], list[list[str]], CaseFilter]:
    """Return the header and the rows of the desk's list for this request's filter and sort: the grid's columns,
    masked; with `full`, also the title, address and parties as stored."""
    state = get_state()
    args = {k: v for k, v in request.args.items()}
    try:
        f = CaseFilter.from_query(args)
    except FilterError as exc:
        abort(400, description=str(exc))
    sort = desk_layout.SORTABLE.get(args.get("sort", ""), "registered_at")
    descending = args.get("order", "desc") != "asc"
    now = utcnow()
    names = queries.names(state.engine, lang)
    rows: list[list[str]] = []
    offset = 0
    while offset < EXPORT_MAX:
        page = deskqueries.search(state.engine, f, now=now, sort=sort, descending=descending, offset=offset,
                                  limit=deskqueries.PAGE_MAX)
        for raw in page:
            shown = desk_layout.row(raw, names, now, state.tz, lang)
            cells = [shown[c] for c in desk_layout.COLUMNS]
            if full:
                cells += [raw["title"], raw["address"], _party_text(raw["parties"] or [])]
            rows.append([_cell(c) for c in cells])
        if len(page) < deskqueries.PAGE_MAX:
            break
        offset += len(page)
    header = [say(f"desk.col.{c}", lang) for c in desk_layout.COLUMNS + (FULL_COLUMNS if full else ())]
    return header, rows[:EXPORT_MAX], f


def _audited(kind: str, f: CaseFilter, n: int, reason: str | None) -> None:
    state = get_state()
    principal = auth.current_principal()
    assert principal is not None  # the guard let only a signed-in officer or above through
    accounts.audit(state.engine, principal.actor, principal.role, "export", target=f"cases.{kind}",
                   reason=reason, source_ip=auth.client_ip(),
                   detail={"cases": n, "format": kind, "filter": f.to_query(), "full": reason is not None})


def _attachment(body: bytes, kind: str, mimetype: str) -> Response:
    stamp = utcnow().astimezone(get_state().tz).strftime("%Y%m%d-%H%M")
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="cases-{stamp}.{kind}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/export/cases.csv")
def cases_csv() -> Response:
    """Return the desk's filtered list as CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese), masked
    unless a leader asked for it in full with a reason."""
    reason = _full_reason()
    header, rows, f = _desk_rows(auth.lang(), reason is not None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    _audited("csv", f, len(rows), reason)
    return _attachment(("\ufeff" + out.getvalue()).encode("utf-8"), "csv", "text/csv")


@blueprint.get("/export/cases.xlsx")
def cases_xlsx() -> Response:
    """Return the desk's filtered list as an Excel workbook, masked unless a leader asked for it in full with a
    reason; every cell is text, never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    lang = auth.lang()
    reason = _full_reason()
    header, rows, f = _desk_rows(lang, reason is not None)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(say("desk.title", lang))
    sheet.freeze_panes = "A2"
    for i, c in enumerate(desk_layout.COLUMNS + FULL_COLUMNS):
        sheet.column_dimensions[chr(ord("A") + i)].width = 40 if c in ("title", "title_full", "parties") else 16
    bold = Font(bold=True)
    head_cells = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        head_cells.append(cell)
    sheet.append(head_cells)
    for r in rows:
        cells = []
        for text in r:
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"  # openpyxl would take a leading "=" for a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    _audited("xlsx", f, len(rows), reason)
    return _attachment(out.getvalue(), "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# A frozen wall's map is framed by its snapshot's page: its own CSP lets its inline Leaflet run (nothing else
# loads) and lets only our own pages frame it.
SNAPSHOT_MAP_CSP = f"{foliummap.FILE_CSP}; frame-ancestors 'self'"


@blueprint.get("/export/snapshot/<int:snapshot_id>/map.html")
def snapshot_map(snapshot_id: int) -> Response:
    """Return a frozen wall's pins (masked when frozen) on the offline map, for its snapshot's page.

    Not audited: it is the masked picture the wall showed, seen inside the desk; freezing it was audited.
    """
    state = get_state()
    snap = snapshots.get(state.engine, snapshot_id)
    if snap is None:
        abort(404)
    lang = auth.lang()
    labels = {**catalogue(lang), "generated": say("snap.map_taken", lang)}
    fmap = foliummap.case_map(snap.pins, state.boundaries(), queries.names(state.engine, lang),
                              title=f"{state.settings.county_name} · {say('snap.map_title', lang, id=snap.id)}",
                              generated_at=snap.taken_at.astimezone(state.tz), labels=labels)
    response = Response(foliummap.render(fmap), mimetype="text/html")
    response.headers["Content-Security-Policy"] = SNAPSHOT_MAP_CSP
    response.headers["Cache-Control"] = "no-store"
    return response
