"""Make standalone maps with folium: one HTML file that draws with no network and shows feed text inert.

Folium's own page loads Leaflet, jQuery, Bootstrap and fonts from CDNs, and its Popup and Tooltip put their
text into JavaScript template literals and jQuery as HTML: markup in a case title would become elements,
and `${…}` in it would run. Here the page carries Leaflet itself (its JS and CSS inlined from the
XStatic-Leaflet package, the same 1.9.3 folium targets), loads nothing else, forbids every request by its own
Content-Security-Policy, and binds popups and tooltips with our two small elements, which hand Leaflet
escaped HTML inside a JSON string. The briefing's hot-spot map clusters its cases with leaflet.markercluster,
inlined the same way from the XStatic-Leaflet-MarkerCluster package.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from branca.element import Element, Figure, MacroElement
from folium.map import FitBounds
from jinja2 import Template

from datafeeds.masking import mask_text
from layouts.i18n import COMMANDS, catalogue, say

LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)
# Nothing may leave the file: scripts and styles are inline, images are data: URIs, no fetch, no font.
FILE_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'")
# The header for the app's route that serves such a page (to show in an <iframe src>): the app's own policy would
# stop the page's inline scripts, and only a header can say who may frame it.
SERVED_CSP = FILE_CSP + "; frame-ancestors 'self'"
RISK_COLOURS = {"normal": "#3d8bfd", "warning": "#f0a030", "overdue": "#e5484d", "major": "#b4232c"}


def text_html(text: str) -> str:
    """Return text as HTML that shows exactly that text (markup escaped, lines kept)."""
    return html.escape(text, quote=True).replace("\n", "<br>")


def lines_html(lines: list[str]) -> str:
    """Return lines of text as HTML, one line each (see text_html)."""
    return "<br>".join(text_html(line) for line in lines)


class TextPopup(MacroElement):
    """A popup whose lines are shown as text: escaped, then passed to Leaflet as a JSON string."""

    _template = Template("""{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.bindPopup({{ this.content|tojson }}, {maxWidth: 360});
{% endmacro %}""")

    def __init__(self, lines: list[str]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca is partly typed
        self._name = "TextPopup"
        self.content = lines_html(lines)


class TextTooltip(MacroElement):
    """A tooltip shown as text (see TextPopup)."""

    _template = Template("""{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.bindTooltip({{ this.content|tojson }}, {sticky: true});
{% endmacro %}""")

    def __init__(self, text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "TextTooltip"
        self.content = text_html(text)


@lru_cache(maxsize=1)
def _leaflet() -> tuple[str, str]:
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8").replace("</style", "<\\/style")
    return js, css


def offline_map(bounds: list[list[float]] | None, **options: Any) -> folium.Map:
    """Return a folium map with no tiles, no CDN, Leaflet inlined, and a CSP that lets nothing load."""
    # no attribution box: with no tiles there is nothing to credit, and Leaflet's own would link out of the file
    fmap = folium.Map(location=_centre(bounds), zoom_start=10, tiles=None, control_scale=True,
                      attribution_control=False, **options)
    fmap.default_js = []
    fmap.default_css = []
    js, css = _leaflet()
    header = _figure(fmap).header
    header.add_child(Element(f'<meta http-equiv="Content-Security-Policy" content="{FILE_CSP}">'), name="csp")
    header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css")
    header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js")
    if bounds:
        # at once, not animated: layers added during a first zoom's animation would be drawn twice over
        fit = FitBounds(bounds)
        fit.options["animate"] = False
        fmap.add_child(fit)
    return fmap


def _centre(bounds: list[list[float]] | None) -> list[float]:
    if not bounds:
        return [0.0, 0.0]
    (south, west), (north, east) = bounds
    return [(south + north) / 2, (west + east) / 2]


def case_map(cases: list[dict[str, Any]], boundaries: dict[str, Any], names: dict[str, dict[str, str]],
             *, title: str, generated_at: datetime, labels: dict[str, str]) -> folium.Map:
    """Return a standalone map of cases (masked) over the county's township boundaries, with a legend.

    Each case is a dict with case_no, title, parties (their names mask the title), category, township,
    state, risk, lat and lon (the place to draw it: sensitive categories come at their village centroid).
    """
    fmap = offline_map(boundaries.get("bounds"))
    for feature in boundaries["townships"]["features"]:
        layer = folium.GeoJson({"type": "FeatureCollection", "features": [feature]},
                               style_function=lambda _f: {"color": "#35588f", "weight": 1.5, "fillColor": "#8fb3e8",
                                                          "fillOpacity": 0.08})
        TextTooltip(str(feature["properties"]["name"])).add_to(layer)
        layer.add_to(fmap)
    for case in cases:
        marker = folium.CircleMarker(location=[case["lat"], case["lon"]], radius=6, weight=1, color="#1b2a44",
                                     fill=True, fill_opacity=0.85, fill_color=_risk_colour(case))
        TextPopup(_case_lines(case, names, labels)).add_to(marker)
        marker.add_to(fmap)
    legend = _risk_legend(labels)
    heading = (f'<div class="zs-map-title" style="position:fixed;top:10px;left:60px;z-index:1000;background:#fff;'
               f'padding:6px 10px;border:1px solid #9aa;font:14px sans-serif">'
               f'<b>{text_html(title)}</b><br>{text_html(labels.get("generated", ""))} '
               f'{text_html(generated_at.strftime("%Y-%m-%d %H:%M"))} · {len(cases)}</div>'
               f'<div class="zs-map-legend" style="position:fixed;bottom:20px;left:10px;z-index:1000;'
               f'background:#fff;padding:6px 10px;border:1px solid #9aa;font:13px sans-serif">{legend}</div>')
    _figure(fmap).html.add_child(Element(heading), name="zs_heading")
    return fmap


def _risk_colour(case: Mapping[str, Any]) -> str:
    return RISK_COLOURS.get(case.get("risk") or "", RISK_COLOURS["normal"])


def _case_lines(case: Mapping[str, Any], names: Mapping[str, Mapping[str, str]],
                labels: Mapping[str, str]) -> list[str]:
    """Return a case's popup lines: number and title masked by its parties' names, place and category, state."""
    places, categories = names["places"], names["categories"]
    party_names = [str(p.get("name") or "") for p in case.get("parties") or []]
    return [f"{case['case_no']} {mask_text(case.get('title') or '', party_names)}",
            " · ".join(x for x in (places.get(case.get("township") or "", ""),
                                   categories.get(case.get("category") or "", "")) if x),
            labels.get(f"event.case.{case.get('state')}", case.get("state") or "")]


def _risk_legend(labels: Mapping[str, str]) -> str:
    return "".join(
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;background:{colour};'
        f'margin-right:6px"></span>{text_html(labels.get(f"risk.{risk}", risk))}</div>'
        for risk, colour in RISK_COLOURS.items())


def _figure(fmap: folium.Map) -> Figure:
    root = fmap.get_root()
    assert isinstance(root, Figure)
    return root


def render(fmap: folium.Map) -> str:
    """Return the map as one self-contained HTML document."""
    page: str = _figure(fmap).render()
    return page


# --- The briefing's hot-spot map: township heat, case clusters, legend -------------------------------------------

CLUSTER_DIR = Path(xstatic.pkg.leaflet_markercluster.BASE_DIR)
# Sequential light yellow → dark red (ColorBrewer YlOrRd), one list per number of classes: readable in print and
# by colour-blind readers, and the same values a matplotlib figure of the briefing can take.
HEAT_PALETTES: dict[int, tuple[str, ...]] = {
    1: ("#fd8d3c",),
    2: ("#feb24c", "#e31a1c"),
    3: ("#ffeda0", "#feb24c", "#f03b20"),
    4: ("#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"),
    5: ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"),
}
HEAT_MAX = max(HEAT_PALETTES)
ZERO_COLOUR = "#f0f0f0"  # a township with no case: a pale grey, set apart from the lightest yellow
TOWNSHIP_OUTLINE = "#6b5a4a"
MAX_ZOOM = 18  # a street: cases still together there are spread out around their place (spiderfied)


@dataclass(frozen=True)
class HeatClass:
    """One class of township case counts: every count from lower to upper (both included) gets the colour."""

    lower: int
    upper: int
    colour: str

    def label(self) -> str:
        """Return the range as a legend shows it ("4–7", or "5" for a class of one value)."""
        return str(self.lower) if self.lower == self.upper else f"{self.lower}–{self.upper}"


def heat_classes(counts: Mapping[str, int]) -> list[HeatClass]:
    """Return up to HEAT_MAX classes covering every positive count from 1 to the largest, lightest first.

    The breaks fall at quantiles of the townships' counts (each class holds about as many townships), moved to
    distinct values so that no class is empty; with fewer distinct counts there are fewer classes. Zero is no
    class: it has ZERO_COLOUR of its own.
    """
    values = sorted(n for n in counts.values() if n > 0)
    distinct = sorted(set(values))
    k = min(HEAT_MAX, len(distinct))
    if not k:
        return []
    uppers: list[int] = []
    i = 0
    for j in range(1, k):
        # the smallest value reaching the j-th quantile, leaving a distinct value for each class still to come
        while i < len(distinct) - (k - j) - 1 and bisect_right(values, distinct[i]) * k < len(values) * j:
            i += 1
        uppers.append(distinct[i])
        i += 1
    uppers.append(distinct[-1])
    lowers = [1] + [u + 1 for u in uppers[:-1]]
    return [HeatClass(lo, up, colour) for lo, up, colour in zip(lowers, uppers, HEAT_PALETTES.get(k, ()), strict=True)]


def heat_colour(n: int, classes: Sequence[HeatClass]) -> str:
    """Return the fill colour of a count: ZERO_COLOUR for none, else its class's (the top class's above it)."""
    if n <= 0 or not classes:
        return ZERO_COLOUR
    return next((c.colour for c in classes if n <= c.upper), classes[-1].colour)


def hotspot_labels(lang: str) -> dict[str, str]:
    """Return the texts `hotspot_map` shows in a language (templates with {fields} are filled in by the map)."""
    own = {key: entry.get(lang) or entry["zh-CN"] for key, entry in COMMANDS.items() if key.startswith("hotspot.")}
    return {**catalogue(lang), **own, "generated": say("export.generated", lang)}


class CaseClusters(MacroElement):
    """The cases as clusters (leaflet.markercluster, inlined): a numbered circle for a group (a click zooms in),
    a circle in the risk colour with a text popup for one case. The points go in as one JSON value."""

    _template = Template("""{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function (map, points) {
  var group = L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 48,
    iconCreateFunction: function (cluster) {
      var n = cluster.getChildCount(), size = n < 10 ? 30 : n < 100 ? 36 : 44, count = document.createElement("span");
      count.textContent = String(n);
      return L.divIcon({html: count, className: "zs-cluster", iconSize: L.point(size, size)});
    }});
  points.forEach(function (p) {
    group.addLayer(L.circleMarker([p.lat, p.lon], {radius: 7, weight: 1, color: "#1b2a44", fillColor: p.colour,
      fillOpacity: 0.9, className: "zs-case"}).bindPopup(p.popup, {maxWidth: 360}));
  });
  map.addLayer(group);
  return group;
})({{ this._parent.get_name() }}, {{ this.points|tojson }});
{% endmacro %}""")

    def __init__(self, points: list[dict[str, Any]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "CaseClusters"
        self.points = points


# Our clusters' look: MarkerCluster.Default.css would colour them green to orange, too close to the heat.
CLUSTER_CSS = """
.zs-cluster { background: rgba(27, 42, 68, 0.25); border-radius: 50%; }
.zs-cluster span { display: flex; align-items: center; justify-content: center; margin: 4px;
  height: calc(100% - 8px); border-radius: 50%; background: #1b2a44; color: #fff; font: bold 12px/1 sans-serif; }
"""


@lru_cache(maxsize=1)
def _markercluster() -> tuple[str, str]:
    js = (CLUSTER_DIR / "leaflet.markercluster.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (CLUSTER_DIR / "MarkerCluster.css").read_text(encoding="utf-8").replace("</style", "<\\/style")
    return js, css + CLUSTER_CSS


def hotspot_map(townships: Mapping[str, int], previous: Mapping[str, int], cases: Sequence[Mapping[str, Any]],
                boundaries: Mapping[str, Any], names: Mapping[str, Mapping[str, str]], *, title: str,
                period_label: str, generated_at: datetime, labels: Mapping[str, str],
                total: int | None = None) -> folium.Map:
    """Return the period's standalone hot-spot map: townships filled by their case count (heat classes), the
    period's cases (masked) in clusters, a legend and a title box. Nothing in it loads from anywhere.

    `townships` and `previous` count cases registered by township code in the period and the one before; `cases`
    are shaped as `case_map` takes them; `labels` as `hotspot_labels` gives them; `total` is the period's number
    of cases when `cases` holds only some of them (the newest).
    """
    fmap = offline_map(boundaries.get("bounds"))
    fmap.options["max_zoom"] = MAX_ZOOM  # markercluster needs it, and with no tile layer the map has none
    js, css = _markercluster()
    header = _figure(fmap).header
    header.add_child(Element(f"<style>{css}</style>"), name="markercluster_css")
    header.add_child(Element(f"<script>{js}</script>"), name="markercluster_js")
    classes = heat_classes(townships)
    places = names["places"]
    for feature in boundaries["townships"]["features"]:
        code = str(feature["properties"]["code"])
        n, change = townships.get(code, 0), townships.get(code, 0) - previous.get(code, 0)
        style = {"color": TOWNSHIP_OUTLINE, "weight": 1, "fillColor": heat_colour(n, classes), "fillOpacity": 0.8}
        layer = folium.GeoJson({"type": "FeatureCollection", "features": [feature]}, class_name="zs-township",
                               style_function=lambda _f, s=style: s)
        name = places.get(code) or str(feature["properties"]["name"])
        TextTooltip(labels["hotspot.tooltip"].format(name=name, n=n, change=_signed(change))).add_to(layer)
        layer.add_to(fmap)
    points = [{"lat": case["lat"], "lon": case["lon"], "colour": _risk_colour(case),
               "popup": lines_html(_case_lines(case, names, labels))}
              for case in cases if case.get("lat") is not None and case.get("lon") is not None]
    CaseClusters(points).add_to(fmap)
    shown = len(cases)
    count = (labels["hotspot.cases"].format(n=shown) if total is None or total <= shown
             else labels["hotspot.cases_newest"].format(total=total, n=shown))
    heading = (f"<b>{text_html(title)}</b><br>{text_html(period_label)}<br>"
               f"{text_html(labels['generated'])} {text_html(generated_at.strftime('%Y-%m-%d %H:%M'))} · "
               f"{text_html(count)}")
    _figure(fmap).html.add_child(Element(_box("zs-map-title", "top:10px;left:60px", heading)
                                         + _box("zs-map-legend", "bottom:24px;right:10px",
                                                _heat_legend(classes, labels))), name="zs_heading")
    return fmap


def _signed(change: int) -> str:
    return "±0" if change == 0 else f"{change:+d}"


def _box(css_class: str, where: str, inner: str) -> str:
    return (f'<div class="{css_class}" style="position:fixed;{where};z-index:1000;background:#fff;'
            f'padding:6px 10px;border:1px solid #9aa;font:13px sans-serif">{inner}</div>')


def _heat_legend(classes: Sequence[HeatClass], labels: Mapping[str, str]) -> str:
    """Return the legend: the township classes with their ranges, then the case symbols (risk colours, cluster)."""
    swatch = ('<div class="zs-heat-class"><span style="display:inline-block;width:14px;height:10px;'
              'background:{colour};border:1px solid ' + TOWNSHIP_OUTLINE + ';margin-right:6px"></span>{text}</div>')
    rows = [swatch.format(colour=ZERO_COLOUR, text="0")]
    rows += [swatch.format(colour=c.colour, text=text_html(c.label())) for c in classes]
    return (f"<b>{text_html(labels['hotspot.legend_heat'])}</b>{''.join(rows)}"
            f"<b>{text_html(labels['hotspot.legend_cases'])}</b>{_risk_legend(labels)}"
            f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;background:#1b2a44;'
            f'margin-right:6px"></span>{text_html(labels["hotspot.legend_cluster"])}</div>')
