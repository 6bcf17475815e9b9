/* zhongshu: the wall map's pins, kept in place. dash-leaflet draws the map and the boundaries; the pins
 * are Leaflet circle markers this script adds, moves and removes one by one as deltas arrive, so a new
 * case costs one marker, not a redraw of every pin (a GeoJSON data swap re-renders the whole layer).
 * Major cases sit in a pane above the others; a new pin pulses for a few seconds.
 */
(function () {
  "use strict";
  var ns = (window.zhongshu = window.zhongshu || {});
  var PULSE_MS = 2400;
  var MAX_PULSES = 2;
  // A pulse draws the eye to a new case; when cases pour in it would only be noise (and keep the
  // browser drawing 60 frames a second), so ordinary pins pulse at most once per PULSE_GAP_MS.
  var PULSE_GAP_MS = 5000;
  // Any running animation makes the browser draw 60 frames a second; a wall PC without a GPU can opt
  // out with the OS's reduced-motion setting (or Chromium's --force-prefers-reduced-motion).
  var REDUCED = window.matchMedia("(prefers-reduced-motion: reduce)");

  // WGS-84 → GCJ-02 for a GCJ-02 tile source (the same formula as datafeeds/coords.py; a test compares them).
  var A = 6378245.0, EE = 0.00669342162296594323;
  function dLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function dLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }
  function toGcj(lat, lon) {
    if (!(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271)) return [lat, lon];
    var dlat = dLat(lon - 105.0, lat - 35.0), dlon = dLon(lon - 105.0, lat - 35.0);
    var rad = lat / 180.0 * Math.PI;
    var magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
    var sq = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
    dlon = (dlon * 180.0) / (A / sq * Math.cos(rad) * Math.PI);
    return [lat + dlat, lon + dlon];
  }
  ns.coords = { toGcj: toGcj };

  function position(p) {
    var root = document.getElementById("wall-root");
    return root && root.getAttribute("data-crs") === "gcj02" ? toGcj(p.lat, p.lon) : [p.lat, p.lon];
  }

  var pins = {
    map: null,
    markers: new Map(),
    attach: function (map) {
      pins.map = map;
      pins.markers = new Map();
      map.createPane("zs-pins").style.zIndex = 450;
      map.createPane("zs-major").style.zIndex = 460;
      map.createPane("zs-pulse").style.zIndex = 470;
      pins.pulses = 0;
      pins.lastPulse = 0;
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
    _classes: function (p) {
      return "zs-pin zs-risk-" + (p.risk || "normal");
    },
    // A new case pulses as a ring that only scales and fades: the compositor animates it, so it costs
    // no style or paint work per frame (animating the pin's own stroke did, ~25 % of a core at 50/s).
    _pulse: function (p) {
      if (pins.pulses >= MAX_PULSES || REDUCED.matches) return;
      var now = Date.now();
      if (p.risk !== "major" && now - pins.lastPulse < PULSE_GAP_MS) return;
      pins.lastPulse = now;
      pins.pulses += 1;
      var ring = L.marker(position(p), {
        pane: "zs-pulse",
        interactive: false,
        keyboard: false,
        // Leaflet positions the icon with its own transform: the ring animates an inner element.
        icon: L.divIcon({ className: "zs-pulse-box", iconSize: [36 * Math.max(1, window.innerHeight / 1080),
                                                                36 * Math.max(1, window.innerHeight / 1080)],
                          html: '<span class="zs-pulse zs-risk-' + (p.risk === "major" ? "major" : "new") + '"></span>' }),
      }).addTo(pins.map);
      setTimeout(function () { ring.remove(); pins.pulses -= 1; }, PULSE_MS);
    },
    _create: function (p, fresh) {
      var major = p.risk === "major";
      // Sizes were chosen at 1080 px; a 2160 px wall gets pins twice as large, read from as far away.
      var scale = Math.max(1, window.innerHeight / 1080);
      var marker = L.circleMarker(position(p), {
        radius: (major ? 9 : 6) * scale,
        weight: 1.5 * scale,
        pane: major ? "zs-major" : "zs-pins",
        className: pins._classes(p),
        interactive: false,
      });
      marker.addTo(pins.map);
      var el = marker.getElement();
      if (el) el.setAttribute("data-case", p.case_no);
      pins.markers.set(p.case_no, { marker: marker, risk: p.risk, lat: p.lat, lon: p.lon });
      if (fresh) pins._pulse(p);
    },
    _remove: function (caseNo) {
      var entry = pins.markers.get(caseNo);
      if (!entry) return;
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
