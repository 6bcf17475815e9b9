"""Export the leaders' briefing: one self-contained HTML file and an A4 PDF, their routes, and `zhongshu briefing`.

Both documents come from one template (templates/briefing.html.j2) and carry the title, the period, the time of
generation, the written summary, the headline figures with 环比 and 同比, charts, the hot-spot map, the tables,
the frozen walls cited and every 口径. Everything in a Briefing is masked already; nothing here adds personal data.
- HTML: the page's plotly charts (layouts/briefing.py) with plotly.js inlined once, and the folium hot-spot map in a
  sandboxed `<iframe srcdoc>`. A CSP meta forbids every request, so the file draws the same with no network.
- PDF: WeasyPrint lays the same document out on A4. Charts and the map are SVG drawn by matplotlib (plotly's image
  export needs Chrome through kaleido, which a server should not need), and WeasyPrint may fetch only data: URLs.
  Chinese needs a CJK font on the machine (Debian: fonts-noto-cjk); without one the export fails saying so.
"""

from __future__ import annotations

import base64
import getpass
import io
import logging
import math
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import jinja2
import plotly.io as pio
from branca.element import MacroElement
from flask import Blueprint, Response, abort, request
from markupsafe import Markup
from sqlalchemy import Engine

from dashboard import accounts, auth, foliummap
from dashboard.state import get_state
from datafeeds import briefing, queries
from datafeeds.briefing import HEADLINE_KEYS, Briefing, CaseLine, Period, PeriodError, Share
from datafeeds.clock import utcnow
from layouts import briefing as page
from layouts import briefingtext
from layouts.case import state_name
from layouts.i18n import catalogue, say

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from dashboard.settings import Settings

Format = Literal["html", "pdf"]
Names = Mapping[str, Mapping[str, str]]
MIMETYPES: dict[Format, str] = {"html": "text/html", "pdf": "application/pdf"}
FORMATS: dict[str, Format] = {".html": "html", ".pdf": "pdf"}  # by the file's suffix
# The PDF's fonts, first found first; the HTML file takes the page's stack (what county PCs have).
FONT_STACK = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei")
FONT_PACKAGE = "fonts-noto-cjk"
# The hot-spot map alone, for the page's iframe: its inline Leaflet runs, nothing loads, only our pages frame it.
MAP_CSP = f"{foliummap.FILE_CSP}; frame-ancestors 'self'"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


# Rows a printed bar chart draws (most first); the tables beside it list them all.
PRINT_BARS = 12


class FontMissing(RuntimeError):
    """No CJK font is installed: a PDF would show empty boxes for every Chinese character."""


# --- one document, two media ------------------------------------------------------------------------------------------

def _css_string(text: str) -> Markup:
    """Return text as the inside of a CSS string: anything but letters, digits and spaces as a hex escape (each with
    the space that ends it, which CSS consumes, so a real space after it stays)."""
    return Markup("".join(c if c.isalnum() or c == " " else f"\\{ord(c):06x} " for c in text))


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("dashboard", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["css_string"] = _css_string
    return env.get_template("briefing.html.j2")


def _page_counter(lang: str) -> Markup:
    """Return the CSS content of the page number line, e.g. "第 " counter(page) " 页，共 " counter(pages) " 页"."""
    parts = say("bdoc.page", lang, page="\0page\0", pages="\0pages\0").split("\0")
    return Markup(" ".join(f"counter({part})" if i % 2 else f'"{_css_string(part)}"'
                           for i, part in enumerate(parts) if part))


def _table(css: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Sequence[int] = (),
           empty: str = "", heading: str = "") -> dict[str, Any]:
    return {"css": css, "columns": list(columns), "rows": [list(r) for r in rows], "numeric": set(numeric),
            "empty": empty, "heading": heading}


def _headline(b: Briefing, lang: str) -> dict[str, Any]:
    rows = [[briefingtext.figure_label(key, lang), briefingtext.fmt_value(b.headline[key], lang),
             briefingtext.fmt_change(b.headline[key], "mom", lang), briefingtext.fmt_change(b.headline[key], "yoy",
                                                                                           lang)]
            for key in HEADLINE_KEYS if key in b.headline]
    columns = [say("bdoc.col.figure", lang), say("briefing.col.n", lang), briefingtext.figure_label("mom", lang),
               briefingtext.figure_label("yoy", lang)]
    return _table("headline-table", columns, rows, numeric=(1,))


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _shares(css: str, shares: Sequence[Share], places: Mapping[str, str], what: str, lang: str,
            heading: str = "") -> dict[str, Any]:
    columns = [say(f"briefing.col.{c}", lang) for c in ("rank", what, "n", "previous", "rise")]
    rows = [[str(i), places.get(s.code, s.code), str(s.n), str(s.previous), _signed(s.rise)]
            for i, s in enumerate(shares, 1)]
    return _table(css, columns, rows, numeric=(0, 2, 3, 4), empty=say("briefing.nothing", lang), heading=heading)


def _league(b: Briefing, departments: Mapping[str, str], lang: str) -> dict[str, Any]:
    columns = [say("briefing.col.department", lang), *(say(f"briefing.col.{c}", lang) for c in page.LEAGUE_COLUMNS)]
    rows = [[departments.get(d.code, d.code), *(page.league_cell(d, c, lang) for c in page.LEAGUE_COLUMNS)]
            for d in b.departments]
    return _table("league-table", columns, rows, numeric=range(1, len(columns)), empty=say("briefing.nothing", lang))


def _case_row(c: CaseLine, names: Names, b: Briefing, lang: str) -> list[str]:
    places, depts, cats = names["places"], names["departments"], names["categories"]
    return [c.case_no, c.registered_at.astimezone(b.period.tz).strftime("%Y-%m-%d %H:%M"), c.title,
            cats.get(c.category, c.category),
            " · ".join(x for x in (places.get(c.township, c.township),
                                   places.get(c.village, c.village) if c.village else "") if x),
            state_name(c.state, lang), depts.get(c.department, c.department) if c.department else "—",
            page.marks(c, lang)]


def _sections(b: Briefing, names: Names, lang: str) -> list[dict[str, Any]]:
    """Return the sections of tables: places, the league and the three case lists."""
    places = names["places"]
    times = say("briefing.times_in", lang, tz=b.period.tz.key)
    cases = [say(f"briefing.col.{c}", lang) for c in page.CASE_COLUMNS]
    out = [{"css": "places", "title": say("briefing.h.places", lang), "note": "", "tables": [
               _shares("township-table", b.townships, places, "township", lang),
               _shares("village-table", b.villages, places, "village", lang,
                       heading=say("briefing.h.villages", lang))]},
           {"css": "league", "title": say("briefing.h.league", lang), "note": say("briefing.league_note", lang),
            "tables": [_league(b, names["departments"], lang)]}]
    for key, lines in (("majors", b.majors), ("long_open", b.long_open), ("red_cards", b.red_cards)):
        rows = [_case_row(c, names, b, lang) for c in lines]
        out.append({"css": key.replace("_", "-"), "title": say(f"briefing.h.{key}", lang), "note": times,
                    "tables": [_table(f"{key.replace('_', '-')}-table", cases, rows,
                                      empty=say("briefing.no_cases", lang))]})
    return out


def _snapshot_lines(b: Briefing, lang: str) -> list[str]:
    return [" · ".join(x for x in (
        say("briefing.snapshot", lang, id=s.id, at=s.taken_at.astimezone(b.period.tz).strftime("%Y-%m-%d %H:%M")),
        say("bdoc.snapshot_by", lang, by=s.taken_by) if s.taken_by else "", s.note) if x) for s in b.snapshots]


def title_of(county_name: str, lang: str) -> str:
    """Return the briefing's title, e.g. 「示范县综治中心 工作简报」."""
    return say("bdoc.title", lang, county=county_name)


def _render(b: Briefing, names: Names, lang: str, county_name: str, *, print_: bool, fonts: str,
            charts: list[dict[str, Any]], map_markup: Markup) -> str:
    label = briefingtext.period_label(b.period, lang)
    generated = b.generated_at.astimezone(b.period.tz).strftime("%Y-%m-%d %H:%M")
    return _template().render(
        lang=lang, csp=foliummap.FILE_CSP, print=print_, fonts=Markup(fonts), page_counter=_page_counter(lang),
        title=title_of(county_name, lang), period_label=label, period_line=say("bdoc.period", lang, label=label),
        generated_line=say("briefing.generated", lang, at=generated, tz=b.period.tz.key),
        masked=say("bdoc.masked", lang), summary=briefingtext.summary(b, names, lang),
        headings={"summary": say("briefing.h.summary", lang), "headline": say("bdoc.h.headline", lang),
                  "charts": say("bdoc.h.charts", lang), "map": say("briefing.map", lang),
                  "snapshots": say("briefing.h.snapshots", lang), "kouing": say("briefing.h.kouj", lang)},
        headline=_headline(b, lang), charts=charts, map=map_markup, sections=_sections(b, names, lang),
        snapshots=_snapshot_lines(b, lang), no_snapshots=say("briefing.no_snapshots", lang),
        kouing=briefingtext.kouing(lang))


def _source_names(b: Briefing, lang: str) -> dict[str, str]:
    texts = catalogue(lang)
    return {s.code: texts.get(f"source.{s.code}", s.code) for s in b.sources}


# --- the HTML file ----------------------------------------------------------------------------------------------------

class Refit(MacroElement):
    """Fit the map to the county again when its box first has a size.

    A frame inside a long document may run its map's script before the document is laid out: the map then fits the
    county into a box of no size (zoom 0). Refitting once the box is sized is a no-op when it had one all along.
    """

    _template = jinja2.Template("""{% macro script(this, kwargs) %}
(function (map, bounds) {
  var seen = new ResizeObserver(function () {
    if (!map.getContainer().clientHeight) { return; }
    seen.disconnect();
    map.invalidateSize();
    map.fitBounds(bounds);
  });
  seen.observe(map.getContainer());
})({{ this._parent.get_name() }}, {{ this.bounds|tojson }});
{% endmacro %}""")

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca is partly typed
        self._name = "Refit"
        self.bounds = bounds


def hotspot_document(b: Briefing, names: Names, boundaries: Mapping[str, Any], lang: str, county_name: str) -> str:
    """Return the period's hot-spot map as one standalone HTML document (the page's iframe, the export's frame)."""
    total = b.headline["registered"].value if b.map_truncated else None
    fmap = foliummap.hotspot_map({s.code: s.n for s in b.townships}, {s.code: s.previous for s in b.townships},
                                 b.map_cases, boundaries, names,
                                 title=f"{title_of(county_name, lang)} · {say('briefing.map', lang)}",
                                 period_label=briefingtext.period_label(b.period, lang),
                                 generated_at=b.generated_at.astimezone(b.period.tz),
                                 labels=foliummap.hotspot_labels(lang), total=int(total) if total is not None else None)
    if boundaries.get("bounds"):
        Refit(boundaries["bounds"]).add_to(fmap)
    return foliummap.render(fmap)


def _plotly_charts(b: Briefing, names: Names, lang: str) -> list[dict[str, Any]]:
    """Return the page's charts as HTML fragments, plotly.js inlined in the first one only."""
    figures = [("trend", page.trend_chart(b, lang)),
               ("categories", page.mix_chart(b.categories, names["categories"], say("briefing.chart.categories", lang),
                                             lang)),
               ("sources", page.mix_chart(b.sources, _source_names(b, lang), say("briefing.chart.sources", lang),
                                          lang)),
               ("townships", page.township_chart(b, names["places"], lang)),
               ("league", page.league_chart(b, names["departments"], lang))]
    return [{"key": key, "body": Markup(pio.to_html(fig, full_html=False, include_plotlyjs=i == 0,
                                                    config=PLOTLY_CONFIG))}
            for i, (key, fig) in enumerate(figures)]


def html_document(b: Briefing, names: Names, boundaries: Mapping[str, Any], lang: str, county_name: str) -> str:
    """Return the briefing as one HTML file that draws everything with no network and requests nothing."""
    frame = Markup('<iframe class="zs-hotspot" title="{}" sandbox="allow-scripts" srcdoc="{}"></iframe>').format(
        say("briefing.map", lang), hotspot_document(b, names, boundaries, lang, county_name))
    return _render(b, names, lang, county_name, print_=False, fonts=page.FONT, charts=_plotly_charts(b, names, lang),
                   map_markup=frame)


# --- the PDF ----------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _installed_cjk_font() -> str | None:
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in FONT_STACK if name in known), None)


def cjk_font(lang: str) -> str:
    """Return the first CJK font of FONT_STACK this machine has, or fail naming the package that brings one."""
    found = _installed_cjk_font()
    if found is None:
        raise FontMissing(say("bdoc.font_missing", lang, fonts=", ".join(FONT_STACK), package=FONT_PACKAGE))
    return found


@lru_cache(maxsize=4)
def _print_setup(font: str) -> None:
    """Set matplotlib's fonts once per process: the CJK font, then DejaVu for what it lacks; SVG text stays text
    (WeasyPrint sets it in the same fonts, a third of the work of glyph outlines, and the PDF text is searchable).
    And keep WeasyPrint's step-by-step progress out of the logs (it logs each step at INFO)."""
    import matplotlib

    # Process-wide, and the same for every figure this module draws (nothing else here uses matplotlib).
    matplotlib.rcParams.update({"font.family": [font, "DejaVu Sans"], "font.size": 9, "axes.unicode_minus": False,
                                "svg.fonttype": "none", "svg.hashsalt": "zhongshu", "axes.spines.top": False,
                                "axes.spines.right": False, "axes.edgecolor": page.GRID, "text.color": page.INK,
                                "axes.labelcolor": page.MUTED, "xtick.color": page.INK, "ytick.color": page.INK})
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _svg(fig: MplFigure, alt: str) -> Markup:
    out = io.BytesIO()
    fig.savefig(out, format="svg", bbox_inches="tight", pad_inches=0.2, dpi=200)  # dpi: of what is rasterized
    data = base64.b64encode(out.getvalue()).decode("ascii")
    return Markup('<img alt="{}" src="data:image/svg+xml;base64,{}">').format(alt, data)


def _figure(width: float, height: float) -> MplFigure:
    from matplotlib.figure import Figure as MplFigure

    return MplFigure(figsize=(width, height))


def _nothing(fig: MplFigure, title: str, lang: str) -> MplFigure:
    ax = fig.add_subplot()
    ax.set_title(title, loc="left")
    ax.text(0.5, 0.5, say("briefing.nothing", lang), ha="center", va="center", color=page.MUTED,
            transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def _trend_svg(b: Briefing, lang: str) -> Markup:
    title = say("briefing.chart.trend", lang)
    fig = _figure(7.2, 2.6)
    if not b.trend:
        return _svg(_nothing(fig, title, lang), title)
    ax = fig.add_subplot()
    ax.set_title(title, loc="left")
    xs = range(len(b.trend))
    for name, ys, colour, style in (
            ("briefing.series.registered", [p.registered for p in b.trend], page.CURRENT, "-"),
            ("briefing.series.resolved", [p.resolved for p in b.trend], page.RESOLVED, "-"),
            ("briefing.series.previous", [p.previous_registered for p in b.trend], page.BEFORE, "--")):
        ax.plot(xs, ys, style, color=colour, marker="o", markersize=3, linewidth=1.5, label=say(name, lang))
    every = max(1, math.ceil(len(b.trend) / 12))
    fmt = "%H:00" if b.period.step == "hour" else "%m-%d"
    ax.set_xticks(list(xs)[::every], [p.start.strftime(fmt) for p in b.trend][::every])
    ax.set_ylim(bottom=0)
    ax.set_ylabel(say("briefing.axis.cases", lang))
    ax.grid(axis="y", color=page.GRID)
    ax.legend(frameon=False, ncols=3, loc="upper left", bbox_to_anchor=(0, -0.12))
    return _svg(fig, title)


def _bars_svg(shares: Sequence[Share], labels: Mapping[str, str], title: str, lang: str) -> Markup:
    """Return horizontal bars of groups' cases this period beside the previous period's, most first from the top."""
    shown = list(shares)[:PRINT_BARS]
    fig = _figure(7.2, 0.9 + 0.32 * max(len(shown), 2))
    if not any(s.n or s.previous for s in shown):
        return _svg(_nothing(fig, title, lang), title)
    ax = fig.add_subplot()
    ax.set_title(title, loc="left")
    ys = range(len(shown))
    now = ax.barh([y - 0.2 for y in ys], [s.n for s in shown], height=0.4, color=page.CURRENT,
                  label=say("briefing.series.current", lang))
    ax.barh([y + 0.2 for y in ys], [s.previous for s in shown], height=0.4, color=page.BEFORE,
            label=say("briefing.series.before", lang))
    ax.bar_label(now, padding=2, fontsize=7)
    ax.set_yticks(list(ys), [labels.get(s.code, s.code) for s in shown])
    ax.invert_yaxis()
    ax.set_xlabel(say("briefing.axis.cases", lang))
    ax.grid(axis="x", color=page.GRID)
    ax.legend(frameon=False, loc="lower right")
    return _svg(fig, title)


def _league_svg(b: Briefing, departments: Mapping[str, str], lang: str) -> Markup:
    """Return the departments' 按期办结率 as bars, worst first from the top (those that resolved anything)."""
    title = say("briefing.chart.on_time", lang)
    shown = [d for d in b.departments if d.group.resolved][:page.LEAGUE_MAX]
    fig = _figure(7.2, 0.9 + 0.28 * max(len(shown), 2))
    if not shown:
        return _svg(_nothing(fig, title, lang), title)
    ax = fig.add_subplot()
    ax.set_title(title, loc="left")
    rates = [100 * (d.group.on_time_rate or 0.0) for d in shown]
    bars = ax.barh(range(len(shown)), rates, height=0.6, color=page.RATE)
    ax.bar_label(bars, labels=[f"{r:.1f}%" for r in rates], padding=2, fontsize=7)
    ax.set_yticks(range(len(shown)), [departments.get(d.code, d.code) for d in shown])
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.xaxis.set_major_formatter("{x:.0f}%")
    ax.grid(axis="x", color=page.GRID)
    return _svg(fig, title)


def _rings(geometry: Mapping[str, Any]) -> list[list[list[float]]]:
    """Return the outer rings of a GeoJSON Polygon or MultiPolygon as [lon, lat] lists."""
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    return []


def _map_svg(b: Briefing, names: Names, boundaries: Mapping[str, Any], lang: str) -> Markup:
    """Return the static hot-spot map: townships filled by the map's heat classes, the period's cases as dots."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Polygon

    title = say("briefing.map", lang)
    labels = foliummap.hotspot_labels(lang)
    counts = {s.code: s.n for s in b.townships}
    classes = foliummap.heat_classes(counts)
    fig = _figure(7.2, 7.2)
    ax = fig.add_subplot()  # no title: the section's heading names the map
    lats: list[float] = []
    for feature in boundaries.get("townships", {}).get("features", []):
        code = str(feature["properties"]["code"])
        for ring in _rings(feature["geometry"]):
            ax.add_patch(Polygon(ring, closed=True, facecolor=foliummap.heat_colour(counts.get(code, 0), classes),
                                 edgecolor=foliummap.TOWNSHIP_OUTLINE, linewidth=0.6))
            lats += [lat for _lon, lat in ring]
            centre = (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
            ax.annotate(names["places"].get(code) or str(feature["properties"]["name"]), centre, ha="center",
                        va="center", fontsize=6, color=page.INK)
    drawn = [c for c in b.map_cases if c.get("lat") is not None and c.get("lon") is not None]
    if drawn:
        ax.scatter([c["lon"] for c in drawn], [c["lat"] for c in drawn], s=7, linewidths=0.3, edgecolors="#1b2a44",
                   c=[foliummap.RISK_COLOURS.get(c.get("risk") or "", foliummap.RISK_COLOURS["normal"]) for c in drawn],
                   # One picture of the dots inside the SVG, not an element per dot: WeasyPrint took 19 s to draw
                   # the 2,842 dots of a month as elements.
                   zorder=3, rasterized=True)
        lats += [c["lat"] for c in drawn]
    if not lats:
        return _svg(_nothing(_figure(7.2, 2.0), title, lang), title)
    ax.autoscale_view()
    ax.set_aspect(1 / math.cos(math.radians(sum(lats) / len(lats))))
    ax.set_axis_off()
    heat = [Patch(facecolor=foliummap.ZERO_COLOUR, edgecolor=foliummap.TOWNSHIP_OUTLINE, label="0")]
    heat += [Patch(facecolor=c.colour, edgecolor=foliummap.TOWNSHIP_OUTLINE, label=c.label()) for c in classes]
    risks = [Line2D([], [], linestyle="", marker="o", markersize=5, markerfacecolor=colour, markeredgecolor="#1b2a44",
                    label=labels.get(f"risk.{risk}", risk)) for risk, colour in foliummap.RISK_COLOURS.items()]
    # Under the map, not beside it: the PDF sets the text in its own fonts, which may run wider than measured here.
    first = ax.legend(handles=heat, title=labels["hotspot.legend_heat"], loc="upper left", bbox_to_anchor=(0.0, 0.0),
                      ncols=len(heat), frameon=False, fontsize=7, title_fontsize=7, alignment="left")
    ax.add_artist(first)
    ax.legend(handles=risks, title=labels["hotspot.legend_cases"], loc="upper right", bbox_to_anchor=(1.0, 0.0),
              ncols=2, frameon=False, fontsize=7, title_fontsize=7, alignment="left")
    return _svg(fig, title)


def _print_charts(b: Briefing, names: Names, lang: str) -> list[dict[str, Any]]:
    return [{"key": "trend", "body": _trend_svg(b, lang)},
            {"key": "categories", "body": _bars_svg(b.categories, names["categories"],
                                                    say("briefing.chart.categories", lang), lang)},
            {"key": "sources", "body": _bars_svg(b.sources, _source_names(b, lang), say("briefing.chart.sources", lang),
                                                 lang)},
            {"key": "townships", "body": _bars_svg(b.townships, names["places"],
                                                   say("briefing.chart.townships", lang), lang)},
            {"key": "league", "body": _league_svg(b, names["departments"], lang)}]


def pdf_document(b: Briefing, names: Names, boundaries: Mapping[str, Any], lang: str, county_name: str) -> bytes:
    """Return the briefing as an A4 portrait PDF: title and period on every page, numbered, the 口径 at the end."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    font = cjk_font(lang)
    _print_setup(font)
    fonts = ", ".join(f'"{name}"' for name in dict.fromkeys((font, *FONT_STACK))) + ", sans-serif"
    document = _render(b, names, lang, county_name, print_=True, fonts=fonts, charts=_print_charts(b, names, lang),
                       map_markup=_map_svg(b, names, boundaries, lang))
    pdf = HTML(string=document, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    return bytes(pdf)


# --- reading the store, for the routes and the command line -----------------------------------------------------------

def export(engine: Engine, p: Period, fmt: Format, lang: str, county_name: str,
           boundaries: Mapping[str, Any] | None = None, *, recent: briefing.Recent | None = None) -> bytes:
    """Return a period's briefing as a file's bytes (HTML in UTF-8, or PDF), read from the store (or, given
    `recent`, the briefing the page read a moment ago)."""
    b = recent.get(engine, p) if recent is not None else briefing.build(engine, p)
    names = queries.names(engine, lang)
    shape = boundaries if boundaries is not None else queries.boundaries(engine)
    if fmt == "pdf":
        return pdf_document(b, names, shape, lang, county_name)
    return html_document(b, names, shape, lang, county_name).encode("utf-8")


def filename(p: Period, fmt: Format) -> str:
    """Return the export's file name, e.g. briefing-20261123-20261126.pdf."""
    return f"briefing-{p.current.first_day:%Y%m%d}-{p.current.last_day:%Y%m%d}.{fmt}"


def audit_detail(p: Period, fmt: Format) -> dict[str, Any]:
    """Return what an export's audit row records: the period and the format."""
    return {"period": p.kind, "from": p.current.first_day.isoformat(), "to": p.current.last_day.isoformat(),
            "format": fmt}


# --- the routes -------------------------------------------------------------------------------------------------------

blueprint = Blueprint("briefingdoc", __name__)


def _period() -> Period:
    try:
        return briefing.parse_period(request.args, utcnow(), get_state().tz)
    except PeriodError as exc:
        abort(400, description=str(exc))


@blueprint.get("/briefing/map.html")
def hotspot_map() -> Response:
    """Return the period's hot-spot map alone, for the briefing page's frame (masked; viewing is not an export)."""
    state = get_state()
    p = _period()
    lang = auth.lang()
    b = state.briefings.get(state.engine, p)
    doc = hotspot_document(b, queries.names(state.engine, lang), state.boundaries(), lang,
                           state.settings.county_name)
    response = Response(doc, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MAP_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _export(fmt: Format) -> Response:
    state = get_state()
    principal = auth.current_principal()
    assert principal is not None  # the guard let only a signed-in leader or admin through
    p = _period()
    body = export(state.engine, p, fmt, auth.lang(), state.settings.county_name, state.boundaries(),
                  recent=state.briefings)
    accounts.audit(state.engine, principal.actor, principal.role, "export", target=f"briefing.{fmt}",
                   source_ip=auth.client_ip(), detail=audit_detail(p, fmt))
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(p, fmt)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/briefing/export.html")
def export_html() -> Response:
    """Return the period's briefing as one self-contained HTML file (audited)."""
    return _export("html")


@blueprint.get("/briefing/export.pdf")
def export_pdf() -> Response:
    """Return the period's briefing as an A4 PDF (audited)."""
    return _export("pdf")


# --- the command line -------------------------------------------------------------------------------------------------

def cli_actor() -> str:
    """Return who the audit log names for a command-line export: cli:<the operating-system user>."""
    try:
        return f"{accounts.CLI_ACTOR}:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in the environment or the password database
        return accounts.CLI_ACTOR


def write(settings: Settings, args: Mapping[str, str], out: Path, lang: str, db_url: str | None = None) -> int:
    """Write a period's briefing to a .pdf or .html file, audit it and print its path; 2 with the reason on
    stderr for a bad period, file name or missing font (what a scheduled job's log should show)."""
    from datafeeds.db import make_engine

    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        print(f"zhongshu briefing: {say('bdoc.cli.suffix', lang, path=out)}", file=sys.stderr)
        return 2
    try:
        p = briefing.parse_period(args, utcnow(), ZoneInfo(settings.timezone))
        engine = make_engine(db_url or settings.db_url)
        try:
            out.write_bytes(export(engine, p, fmt, lang, settings.county_name))
            accounts.audit(engine, cli_actor(), None, "export", target=f"briefing.{fmt}",
                           detail={**audit_detail(p, fmt), "file": str(out.resolve())})
        finally:
            engine.dispose()
    except (PeriodError, FontMissing) as exc:
        print(f"zhongshu briefing: {exc}", file=sys.stderr)
        return 2
    print(out.resolve())
    return 0

