/* zhongshu: the wall map's pins, kept in place. dash-leaflet draws the map and the boundaries; the pins
 * are Leaflet circle markers this script adds, moves and removes one by one as deltas arrive, so a new
 * case costs one marker, not a redraw of every pin (a GeoJSON data swap re-renders the whole layer).
 * Major cases sit in a pane above the others; a new pin pulses for a few seconds.
 */
(function () {
  "use strict";
  var ns = (window.zhongshu = window.zhongshu || {});
  var FRESH_MS = 8000;

  var pins = {
    map: null,
    markers: new Map(),
    attach: function (map) {
      pins.map = map;
      pins.markers = new Map();
      map.createPane("zs-pins").style.zIndex = 450;
      map.createPane("zs-major").style.zIndex = 460;
      // Canvas: a new pin repaints only its own small rectangle; an SVG path repaints the layer.
      pins.renderers = { "zs-pins": L.canvas({ pane: "zs-pins", padding: 0.1 }),
                         "zs-major": L.canvas({ pane: "zs-major", padding: 0.1 }) };
      if (ns.live && ns.live.pins) pins.sync(ns.live.pins);
      // The map is created before the wall's grid has its final size: fit the county once laid out,
      // and again whenever the screen changes size.
      map.whenReady(function () { setTimeout(pins.fit, 0); });
      window.addEventListener("resize", function () { setTimeout(pins.fit, 50); });
    },
    fit: function () {
      var root = document.getElementById("wall-root");
      var raw = root && root.getAttribute("data-bounds");
      if (!pins.map || !raw || raw === "null") return;
      pins.map.invalidateSize(false);
      pins.map.fitBounds(JSON.parse(raw), { padding: [12, 12], animate: false });
    },
    _classes: function (p, fresh) {
      return "zs-pin zs-risk-" + (p.risk || "normal") + (fresh ? " zs-pin-new" : "");
    },
    _create: function (p, fresh) {
      var major = p.risk === "major";
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: major ? 9 : 6,
        weight: 1.5,
        pane: major ? "zs-major" : "zs-pins",
        className: pins._classes(p, fresh),
        interactive: false,
      });
      marker.addTo(pins.map);
      var el = marker.getElement();
      if (el) el.setAttribute("data-case", p.case_no);
      var entry = { marker: marker, risk: p.risk, lat: p.lat, lon: p.lon };
      if (fresh) {
        entry.timer = setTimeout(function () {
          var node = marker.getElement();
          if (node) node.classList.remove("zs-pin-new");
        }, FRESH_MS);
      }
      pins.markers.set(p.case_no, entry);
    },
    _remove: function (caseNo) {
      var entry = pins.markers.get(caseNo);
      if (!entry) return;
      clearTimeout(entry.timer);
      entry.marker.remove();
      pins.markers.delete(caseNo);
    },
    upsert: function (p, fresh) {
      if (!pins.map) return;
      var entry = pins.markers.get(p.case_no);
      if (entry && entry.risk === p.risk && entry.lat === p.lat && entry.lon === p.lon) return;
      if (entry) pins._remove(p.case_no); // risk decides pane and size: re-create the one marker
      pins._create(p, fresh && !entry);
    },
    remove: function (caseNo) {
      if (pins.map) pins._remove(caseNo);
    },
    sync: function (all) {
      if (!pins.map) return;
      pins.markers.forEach(function (_entry, caseNo) { if (!all.has(caseNo)) pins._remove(caseNo); });
      all.forEach(function (p) { pins.upsert(p, false); });
    },
    count: function () { return pins.markers.size; },
  };
  ns.pins = pins;

  if (window.L && L.Map && L.Map.addInitHook) {
    L.Map.addInitHook(function () {
      var box = this.getContainer();
      if (box && (box.id === "wall-map" || box.classList.contains("zs-map"))) pins.attach(this);
    });
  }
})();
