"""Say who may pass each door of the web app: one table, read by the request guard, the page router and tests.

Deny by default: a Flask endpoint, a Dash callback or a page that is not named here is refused to everyone,
so a route added without a rule fails closed (and fails the route-table test) instead of leaking.
Levels: `public` (anyone), `metrics` (the metrics token or a loopback caller), then the principals' levels
`wall` ≤ `officer` ≤ `leader` ≤ `admin` (see dashboard.websessions).
"""

from __future__ import annotations

import posixpath
import re

PUBLIC = "public"
METRICS = "metrics"
PAGE = "page"  # a Dash page: the level depends on the path (PAGES below)
# A clientside Dash callback: it runs in the browser, and the server refuses it to everyone who asks.
BROWSER = "browser"

# Flask endpoints (Dash names its endpoints by their rules).
ENDPOINTS: dict[str, str] = {
    # Static code and styles, the same for everyone: the sign-in page needs them, and they hold no data.
    "_dash_assets.static": PUBLIC,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": PUBLIC,
    "/_favicon.ico": PUBLIC,
    # Dash's own endpoints: the frame's layout, the callback graph, and the callbacks (checked per callback).
    "/_dash-layout": "wall",
    "/_dash-dependencies": "wall",
    "/_reload-hash": "wall",
    "/_dash-update-component": "wall",
    "/": PAGE,
    "/<path:path>": PAGE,
    # The wall's data: masked, for any principal.
    "api.snapshot": "wall",
    "api.deltas": "wall",
    "api.duty": "wall",
    # A load balancer's probe: states and counts, no case data.
    # Exports: masked, audited, for those who brief.
    "exports.open_cases_map": "leader",
    "exports.cases_csv": "officer",
    "exports.cases_xlsx": "officer",
    # A frozen wall's map (masked), framed by its snapshot's page.
    "exports.snapshot_map": "officer",
    # The briefing's exports (HTML, PDF: masked, audited) and its hot-spot map framed by /briefing.
    "briefingdoc.export_html": "leader",
    "briefingdoc.export_pdf": "leader",
    "briefingdoc.hotspot_map": "leader",
    "api.healthz": PUBLIC,
    "metrics.metrics_endpoint": METRICS,
    "auth.signin": PUBLIC,
    "auth.signout": PUBLIC,
}

# Pages by path, first match wins; a path none matches is the not-found page, for any principal.
PAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/desk/audit(/.*)?"), "admin"),
    (re.compile(r"/desk(/.*)?"), "officer"),
    (re.compile(r"/briefing(/.*)?"), "leader"),
    (re.compile(r"/wall"), "wall"),
    (re.compile(r"/"), "wall"),
)
NOT_FOUND_LEVEL = "wall"

# Dash callbacks by their output (as Dash names it in a request). The router renders a page only after
# checking that page's own level, so its callback is open to every principal.
CALLBACKS: dict[str, str] = {
    "page.children": "wall",
    "case-personal.children": "officer",  # the unmask (checked again inside, and audited)
    # A case's live refresh on the desks' doorbell (masked; checked again inside).
    "..case-header.children...case-timeline.children...case-assignments.children..": "officer",
    "..audit-table.children...audit-offset.data..": "admin",
    # The desk's departments page (callbacks/departments.py).
    "..depts-range.children...depts-sign.figure...depts-resolve.figure...depts-rate.figure...depts-table.children"
    "...depts-stamp.data...depts-timer.disabled...depts-timer.interval...depts-timer.max_intervals..": "officer",
    # Clientside: the desks' doorbell socket following the path; emptying the grid's cache.
    "desk-follow.data": BROWSER,
    "desk-purged.data": BROWSER,
    # The desk's case explorer (callbacks/desk.py).
    "..url.search...desk-f-township.value...desk-f-village.value...desk-f-category.value...desk-f-source.value"
    "...desk-f-state.value...desk-f-department.value...desk-f-village.options...desk-f-dates.start_date"
    "...desk-f-dates.end_date...desk-f-resolved.start_date...desk-f-resolved.end_date...desk-f-flags.value"
    "...desk-f-text.value...desk-filter.data"
    "...desk-export-csv.href...desk-export-xlsx.href..": "officer",
    "..desk-grid.getRowsResponse...desk-shown-page.data..": "officer",
    "..desk-count.children...desk-map-cases.data...desk-shown-map.data..": "officer",
    "desk-dirty.data": "officer",
    "..desk-full-csv.href...desk-full-xlsx.href..": "leader",  # the export in full (checked again, audited)
    "snap-status.children": "officer",  # the desk's 冻结大屏 button (callbacks/snapshots.py; checked again, audited)
    # The leaders' briefing (callbacks/briefing.py): the period picker, its URL and the figures.
    "..briefing-url.search...briefing-period.value...briefing-dates.start_date...briefing-dates.end_date"
    "...briefing-custom.style...briefing-content.children..": "leader",
}


def normalise(path: str | None) -> str:
    """Return the one spelling of a page path that the rules and the router both use.

    `//`, `.` and `..` segments and a trailing slash are resolved first, so `/wall/../desk/audit` or
    `/desk//audit` meet the rule of `/desk/audit`, never a weaker one.
    """
    path = posixpath.normpath("/" + (path or "/").lstrip("/"))
    return "/" + path.lstrip("/")


def page_level(path: str | None) -> str:
    """Return the level a page needs."""
    path = normalise(path)
    for pattern, level in PAGES:
        if pattern.fullmatch(path):
            return level
    return NOT_FOUND_LEVEL


def endpoint_level(endpoint: str | None) -> str | None:
    """Return the level an endpoint needs, or None when it has no rule (refused to everyone)."""
    return ENDPOINTS.get(endpoint or "")


def callback_level(output: str | None) -> str | None:
    """Return the level a Dash callback needs, or None when it has no rule (refused to everyone)."""
    return CALLBACKS.get(output or "")
