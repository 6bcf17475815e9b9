"""Make standalone maps with folium: one HTML file that draws with no network and shows feed text inert.

Folium's own page loads Leaflet, jQuery, Bootstrap and fonts from CDNs, and its Popup and Tooltip put their
text into JavaScript template literals and jQuery as HTML: markup in a case title would become elements,
and `${…}` in it would run. Here the page carries Leaflet itself (its JS and CSS inlined from the
XStatic-Leaflet package, the same 1.9.3 folium targets), loads nothing else, forbids every request by its own
Content-Security-Policy, and binds popups and tooltips with our two small elements, which hand Leaflet
escaped HTML inside a JSON string.
"""

from __future__ import annotations

import html
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium
import xstatic.pkg.leaflet
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from datafeeds.masking import mask_text

LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)
# Nothing may leave the file: scripts and styles are inline, images are data: URIs, no fetch, no font.
FILE_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'")
RISK_COLOURS = {"normal": "#3d8bfd", "warning": "#f0a030", "overdue": "#e5484d", "major": "#b4232c"}


def text_html(text: str) -> str:
    """Return text as HTML that shows exactly that text (markup escaped, lines kept)."""
    return html.escape(text, quote=True).replace("\n", "<br>")


class TextPopup(MacroElement):
    """A popup whose lines are shown as text: escaped, then passed to Leaflet as a JSON string."""

    _template = Template("""{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.bindPopup({{ this.content|tojson }}, {maxWidth: 360});
{% endmacro %}""")

    def __init__(self, lines: list[str]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca is partly typed
        self._name = "TextPopup"
        self.content = "<br>".join(text_html(line) for line in lines)


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
    fmap = folium.Map(location=_centre(bounds), zoom_start=10, tiles=None, control_scale=True, **options)
    fmap.default_js = []
    fmap.default_css = []
    js, css = _leaflet()
    header = _figure(fmap).header
    header.add_child(Element(f'<meta http-equiv="Content-Security-Policy" content="{FILE_CSP}">'), name="csp")
    header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css")
    header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js")
    if bounds:
        fmap.fit_bounds(bounds)
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
    places, categories = names["places"], names["categories"]
    for case in cases:
        party_names = [str(p.get("name") or "") for p in case.get("parties") or []]
        marker = folium.CircleMarker(location=[case["lat"], case["lon"]], radius=6, weight=1, color="#1b2a44",
                                     fill=True, fill_opacity=0.85,
                                     fill_color=RISK_COLOURS.get(case.get("risk") or "", "#3d8bfd"))
        TextPopup([f"{case['case_no']} {mask_text(case.get('title') or '', party_names)}",
                   " · ".join(x for x in (places.get(case.get("township") or "", ""),
                                          categories.get(case.get("category") or "", "")) if x),
                   labels.get(f"event.case.{case.get('state')}", case.get("state") or "")]).add_to(marker)
        marker.add_to(fmap)
    legend = "".join(
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;background:{colour};'
        f'margin-right:6px"></span>{text_html(labels.get(f"risk.{risk}", risk))}</div>'
        for risk, colour in RISK_COLOURS.items())
    heading = (f'<div class="zs-map-title" style="position:fixed;top:10px;left:60px;z-index:1000;background:#fff;'
               f'padding:6px 10px;border:1px solid #9aa;font:14px sans-serif">'
               f'<b>{text_html(title)}</b><br>{text_html(labels.get("generated", ""))} '
               f'{text_html(generated_at.strftime("%Y-%m-%d %H:%M"))} · {len(cases)}</div>'
               f'<div class="zs-map-legend" style="position:fixed;bottom:20px;left:10px;z-index:1000;'
               f'background:#fff;padding:6px 10px;border:1px solid #9aa;font:13px sans-serif">{legend}</div>')
    _figure(fmap).html.add_child(Element(heading), name="zs_heading")
    return fmap


def _figure(fmap: folium.Map) -> Figure:
    root = fmap.get_root()
    assert isinstance(root, Figure)
    return root


def render(fmap: folium.Map) -> str:
    """Return the map as one self-contained HTML document."""
    page: str = _figure(fmap).render()
    return page

