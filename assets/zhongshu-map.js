/* zhongshu: the wall map's pins, kept in place. dash-leaflet draws the map and the boundaries; the pins
 * are Leaflet circle markers this script adds, moves and removes as deltas arrive, so a new case costs
 * one marker, not a redraw of every pin (a GeoJSON data swap re-renders the whole layer).
 * Where ordinary pins crowd they are clustered on a pixel grid at the map's zoom (the wall's view is fixed;
 * a new zoom after a re-fit rebuilds the grid): a cell holding CLUSTER_MIN or more of them shows one bubble
 * with their count, coloured by the risk most of them share (a red ring when any is overdue). Cells are kept incrementally, so a delta touches
 * only the cells its pin leaves and enters; markers and bubbles of changed cells are redrawn at once when
 * quiet and at most every FLUSH_GAP_MS under load. Major cases are never clustered and sit in a pane above
 * everything else; a new pin pulses for a few seconds. With data-heat="township" on #wall-root, each
 * township's polygon is filled by its number of open pins (classes zs-heat-0..5 in wall.css).
 * On the desk's copy of the wall (data-desk="1") a pin opens its case at the desk and a bubble zooms in on
 * its pins (at the closest zoom, or when they share one spot, it opens its township's open cases); both take
 * the keyboard's focus and Enter. On a kiosk pins and bubbles are not interactive.
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
  var CELL_PX = 40; // side of a grid cell at 1080 px screen height; scaled like the pins
  var CLUSTER_MIN = 3; // a cell with fewer ordinary pins than this shows them as pins
  var FLUSH_GAP_MS = 250; // changed cells are redrawn at most this often under load
  var HEAT_STEPS = 5;
  var RISKS = ["normal", "warning", "overdue"]; // ordinary risks, worst last ("major" is never clustered)
  var KEY_ROW = 4194304; // 2^22 cells per grid row: a cell's key is col * KEY_ROW + row
  var DRILL_MAX_ZOOM = 17; // a bubble zooms no closer (the map has no max zoom without a tile layer)

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

  function root() { return document.getElementById("wall-root"); }

  function position(p) {
    var r = root();
    return r && r.getAttribute("data-crs") === "gcj02" ? toGcj(p.lat, p.lon) : [p.lat, p.lon];
  }

  // Sizes were chosen at 1080 px; a 2160 px wall gets pins and cells twice as large, read from as far away.
  function scale() { return Math.max(1, window.innerHeight / 1080); }

  // A bubble takes the colour most of its cases share: overdue when at least a quarter are overdue,
  // 临期 when at least a quarter are 临期 or worse, else normal. One overdue case among twenty would
  // otherwise paint the bubble red, and a county-wide map of red bubbles tells the hall nothing; any
  // overdue case inside still shows as a red ring (zs-alarm).
  var BUBBLE_SHARE = 0.25;
  function bubbleRisk(n, count) {
    if (n[2] >= BUBBLE_SHARE * count) return RISKS[2];
    if (n[1] + n[2] >= BUBBLE_SHARE * count) return RISKS[1];
    return RISKS[0];
  }

  function rank(risk) {
    var i = RISKS.indexOf(risk);
    return i < 0 ? 0 : i;
  }

  function isEnter(e) {
    var k = e.originalEvent && e.originalEvent.key;
    return k === "Enter" || k === " ";
  }

  function heatOn() {
    var r = root();
    return !!r && r.getAttribute("data-heat") === "township";
  }

  function isTownship(layer) {
    var f = layer && layer.feature;
    return !!(f && f.properties && f.properties.tier === "05" && layer.getElement);
  }

  // A held pin: {p, pos, major, cell, marker, x, y}. An ordinary pin belongs to one grid cell and has its
  // own marker only while the cell shows pins; a major pin always has its own marker.
  // A cell: {key, members (Set of pins), n (pins per risk), sx, sy (sum of their pixel positions), drawn
  // (members with a marker), bubble, label, risk, bx, by (what the bubble shows), size}.
  var pins = {
    map: null,
    held: new Map(), // case_no → pin: every open case's pin, drawn alone or counted in a bubble
    markers: new Map(), // case_no → pin, for the pins drawn as their own marker
    cells: new Map(),
    dirty: new Set(),
    orphans: [], // markers of pins that left their cell; removed at the next flush, with the new ones drawn
    grid: null, // {zoom, size} the cells were built for; null until the map is ready
    bubbles: 0,
    clusterMin: CLUSTER_MIN,
    towns: new Map(), // township code → open pins
    townLayers: new Map(), // township code → {layer, step}
    heatDirty: false,
    heatShown: false,
    due: false,
    timer: null,
    lastFlush: 0,
    stats: { flushes: 0, flushMs: 0, maxFlushMs: 0, regrids: 0, regridMs: 0 },

    attach: function (map) {
      pins.map = map;
      pins.desk = !!ns.drill && ns.drill.start(root());
      pins.held = new Map();
      pins.markers = new Map();
      pins.cells = new Map();
      pins.dirty = new Set();
      pins.orphans = [];
      pins.grid = null;
      pins.bubbles = 0;
      pins.towns = new Map();
      pins.townLayers = new Map();
      pins.heatShown = false;
      map.createPane("zs-pins").style.zIndex = 450;
      map.createPane("zs-clusters").style.zIndex = 455;
      map.createPane("zs-major").style.zIndex = 460;
      map.createPane("zs-pulse").style.zIndex = 470;
      pins.pulses = 0;
      pins.lastPulse = 0;
      map.on("zoomend", pins.regrid);
      map.on("layeradd", function (e) {
        if (!isTownship(e.layer)) return;
        pins.townLayers.set(e.layer.feature.properties.code, { layer: e.layer, step: null });
        pins.heatDirty = true;
        pins.schedule();
      });
      map.on("layerremove", function (e) {
        var code = isTownship(e.layer) && e.layer.feature.properties.code;
        var t = code && pins.townLayers.get(code);
        if (t && t.layer === e.layer) pins.townLayers.delete(code);
      });
      if (ns.live && ns.live.pins) pins.sync(ns.live.pins);
      // The map is created before the wall's grid has its final size: fit the county once laid out,
      // and again whenever the screen changes size.
      map.whenReady(function () {
        pins.regrid();
        setTimeout(pins.fit, 0);
      });
      if (!pins.listening) {
        pins.listening = true;
        window.addEventListener("resize", function () { setTimeout(pins.fit, 50); });
      }
      var r = root();
      if (r && window.MutationObserver) {
        if (pins.observer) pins.observer.disconnect();
        pins.observer = new MutationObserver(function () { pins.heatDirty = true; pins.schedule(); });
        pins.observer.observe(r, { attributes: true, attributeFilter: ["data-heat"] });
      }
    },
    fit: function () {
      var r = root();
      var raw = r && r.getAttribute("data-bounds");
      if (!pins.map || !raw || raw === "null") return;
      pins.map.invalidateSize(false);
      pins.map.fitBounds(JSON.parse(raw), { padding: [12, 12], animate: false });
      pins.regrid(); // a new screen height means a new cell size even at the same zoom
    },

    // ---- pins --------------------------------------------------------------------------------------
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
      var side = 36 * scale();
      var ring = L.marker(position(p), {
        pane: "zs-pulse",
        interactive: false,
        keyboard: false,
        // Leaflet positions the icon with its own transform: the ring animates an inner element.
        icon: L.divIcon({ className: "zs-pulse-box", iconSize: [side, side],
                          html: '<span class="zs-pulse zs-risk-' + (p.risk === "major" ? "major" : "new") + '"></span>' }),
      }).addTo(pins.map);
      setTimeout(function () { ring.remove(); pins.pulses -= 1; }, PULSE_MS);
    },
    _draw: function (pin) {
      var s = scale();
      var marker = L.circleMarker(pin.pos, {
        radius: (pin.major ? 9 : 6) * s,
        weight: 1.5 * s,
        pane: pin.major ? "zs-major" : "zs-pins",
        className: pins._classes(pin.p),
        interactive: pins.desk,
      });
      marker.addTo(pins.map);
      var el = marker.getElement();
      if (el) el.setAttribute("data-case", pin.p.case_no);
      if (pins.desk) pins._drillPin(marker, el, pin.p.case_no);
      pin.marker = marker;
      pins.markers.set(pin.p.case_no, pin);
    },
    // The desk's copy: the pin is a link to its case (an SVG path has no href: role, focus and Enter by hand).
    _drillPin: function (marker, el, caseNo) {
      var href = ns.drill.caseHref(caseNo);
      var open = function () { ns.drill.go(href); };
      marker.on("click", open);
      marker.on("keydown", function (e) { if (isEnter(e)) open(); });
      if (el) {
        el.setAttribute("tabindex", "0");
        el.setAttribute("role", "link");
        el.setAttribute("aria-label", ((ns.drill.labels.case || "") + " " + caseNo).trim());
        el.setAttribute("data-href", href);
      }
    },
    // A bubble on the desk's copy: zoom in until its pins part; where they cannot (the closest zoom, or all
    // at one spot such as a village centroid) open the open cases of the township most of them lie in.
    zoomInto: function (cell) {
      var map = pins.map;
      if (!map || !cell.members.size) return;
      var bounds = L.latLngBounds([]);
      var towns = new Map(), town = null;
      cell.members.forEach(function (pin) {
        bounds.extend(pin.pos);
        var t = pin.p.township;
        if (t) towns.set(t, (towns.get(t) || 0) + 1);
      });
      towns.forEach(function (n, t) { if (!town || n > towns.get(town)) town = t; });
      var zoom = map.getZoom(), max = Math.min(map.getMaxZoom(), DRILL_MAX_ZOOM);
      if (zoom >= max || bounds.getNorthEast().equals(bounds.getSouthWest())) {
        if (town) ns.drill.go(ns.drill.list([["township", town], ["state", "open"]]));
        return;
      }
      var fit = map.getBoundsZoom(bounds, false, L.point(48, 48).multiplyBy(scale()));
      map.setView(bounds.getCenter(), Math.min(max, Math.max(zoom + 1, fit)));
    },
    _undraw: function (pin, later) {
      if (later) pins.orphans.push(pin.marker);
      else pin.marker.remove();
      pin.marker = null;
      pins.markers.delete(pin.p.case_no);
    },
    // Put an ordinary pin into the grid cell under it at the grid's zoom.
    _place: function (pin) {
      var g = pins.grid;
      var pt = pins.map.project(pin.pos, g.zoom);
      var key = Math.floor(pt.x / g.size) * KEY_ROW + Math.floor(pt.y / g.size);
      var cell = pins.cells.get(key);
      if (!cell) {
        cell = { key: key, members: new Set(), n: [0, 0, 0], sx: 0, sy: 0, drawn: 0, bubble: null,
                 label: "", risk: "", bx: 0, by: 0, size: 0 };
        pins.cells.set(key, cell);
      }
      cell.members.add(pin);
      cell.n[rank(pin.p.risk)] += 1;
      cell.sx += pt.x;
      cell.sy += pt.y;
      if (pin.marker) cell.drawn += 1;
      pin.cell = cell;
      pin.x = pt.x;
      pin.y = pt.y;
      pins.dirty.add(cell);
    },
    _unplace: function (pin) {
      var cell = pin.cell;
      cell.members.delete(pin);
      cell.n[rank(pin.p.risk)] -= 1;
      cell.sx -= pin.x;
      cell.sy -= pin.y;
      if (pin.marker) {
        cell.drawn -= 1;
        pins._undraw(pin, true);
      }
      pin.cell = null;
      pins.dirty.add(cell);
    },
    _forget: function (pin) {
      if (pin.cell) pins._unplace(pin);
      else if (pin.marker) pins._undraw(pin, false);
      var t = pin.p.township;
      if (t) {
        var n = (pins.towns.get(t) || 1) - 1;
        if (n > 0) pins.towns.set(t, n);
        else pins.towns.delete(t);
        pins.heatDirty = true;
      }
    },
    upsert: function (p, fresh) {
      if (!pins.map) return;
      var old = pins.held.get(p.case_no);
      if (old && old.p.risk === p.risk && old.p.lat === p.lat && old.p.lon === p.lon &&
          old.p.township === p.township) {
        old.p = p;
        return;
      }
      if (old) pins._forget(old); // risk decides pane, size and cell: the pin is put in afresh
      var pin = { p: p, pos: position(p), major: p.risk === "major", cell: null, marker: null, x: 0, y: 0 };
      pins.held.set(p.case_no, pin);
      if (p.township) {
        pins.towns.set(p.township, (pins.towns.get(p.township) || 0) + 1);
        pins.heatDirty = true;
      }
      if (pins.grid) {
        if (pin.major) pins._draw(pin); // at once: a major case never waits for a flush
        else pins._place(pin);
      }
      pins.schedule();
      if (fresh && !old) pins._pulse(p);
    },
    remove: function (caseNo) {
      var pin = pins.map && pins.held.get(caseNo);
      if (!pin) return;
      pins._forget(pin);
      pins.held.delete(caseNo);
      pins.schedule();
    },
    sync: function (all) {
      if (!pins.map) return;
      pins.held.forEach(function (_pin, caseNo) { if (!all.has(caseNo)) pins.remove(caseNo); });
      all.forEach(function (p) { pins.upsert(p, false); });
    },
    count: function () { return pins.held.size; },
    clusters: function () { return pins.bubbles; },

    // ---- the grid ----------------------------------------------------------------------------------
    // Build the cells for the map's zoom and the screen's cell size; O(pins), so only when either changes.
    regrid: function () {
      var map = pins.map;
      if (!map) return;
      var zoom = map.getZoom(), size = CELL_PX * scale();
      if (zoom === undefined || (pins.grid && pins.grid.zoom === zoom && pins.grid.size === size)) return;
      var t0 = performance.now();
      pins.cells.forEach(function (cell) { if (cell.bubble) cell.bubble.remove(); });
      pins.cells = new Map();
      pins.dirty = new Set();
      pins.bubbles = 0;
      pins.grid = { zoom: zoom, size: size };
      // Pins keep their markers meanwhile: a cell that still shows pins keeps them untouched.
      pins.held.forEach(function (pin) {
        if (!pin.major) {
          pin.cell = null;
          pins._place(pin);
        } else if (!pin.marker) {
          pins._draw(pin);
        }
      });
      pins.stats.regrids += 1;
      pins.stats.regridMs = performance.now() - t0;
      pins.flush();
    },
    schedule: function () {
      if (pins.due) return;
      pins.due = true;
      var wait = FLUSH_GAP_MS - (Date.now() - pins.lastFlush);
      // Quiet: right after this task (the whole delta batch), before the browser draws a frame.
      if (wait <= 0) Promise.resolve().then(pins.flush);
      else pins.timer = setTimeout(pins.flush, wait);
    },
    // Redraw the cells that changed since the last flush, and the heat layer when its counts changed.
    flush: function () {
      if (pins.timer) clearTimeout(pins.timer);
      pins.timer = null;
      pins.due = false;
      pins.lastFlush = Date.now();
      if (!pins.map || !pins.grid) return;
      var t0 = performance.now();
      var gone = pins.orphans;
      pins.orphans = [];
      for (var i = 0; i < gone.length; i++) gone[i].remove();
      var dirty = pins.dirty;
      pins.dirty = new Set();
      dirty.forEach(pins._redraw);
      if (pins.heatDirty) pins._heat();
      var ms = performance.now() - t0;
      pins.stats.flushes += 1;
      pins.stats.flushMs = ms;
      if (ms > pins.stats.maxFlushMs) pins.stats.maxFlushMs = ms;
    },
    // Redraw every cell (after pins.clusterMin changed).
    refresh: function () {
      pins.cells.forEach(function (cell) { pins.dirty.add(cell); });
      pins.heatDirty = true;
      pins.flush();
    },
    _redraw: function (cell) {
      var count = cell.members.size;
      if (pins.cells.get(cell.key) !== cell) return; // from before a regrid
      if (count === 0 || count < pins.clusterMin) {
        if (cell.bubble) {
          cell.bubble.remove();
          cell.bubble = null;
          pins.bubbles -= 1;
        }
        if (count === 0) {
          pins.cells.delete(cell.key);
          return;
        }
        cell.members.forEach(function (pin) {
          if (pin.marker) return;
          pins._draw(pin);
          cell.drawn += 1;
        });
        return;
      }
      if (cell.drawn) {
        cell.members.forEach(function (pin) { if (pin.marker) pins._undraw(pin, false); });
        cell.drawn = 0;
      }
      var risk = bubbleRisk(cell.n, count);
      var alarm = cell.n[2] > 0;
      var label = String(count);
      var bx = cell.sx / count, by = cell.sy / count;
      var at = pins.map.unproject([bx, by], pins.grid.zoom);
      // Wide enough for the count in the wall's smallest text size (--zs-small, 1.7vh): up to three digits
      // fit a cell, so neighbouring bubbles touch but do not cover each other.
      var size = Math.round(Math.max(28, 10 + 9.5 * label.length) * scale());
      if (!cell.bubble) {
        cell.bubble = L.marker(at, { pane: "zs-clusters", interactive: pins.desk, keyboard: pins.desk,
                                     title: pins.desk ? ns.drill.labels.cluster || "" : "",
                                     icon: pins._bubbleIcon(label, risk, size, alarm) }).addTo(pins.map);
        if (pins.desk) {
          cell.bubble.on("click", function () { pins.zoomInto(cell); });
          cell.bubble.on("keydown", function (e) { if (isEnter(e)) pins.zoomInto(cell); });
        }
        pins.bubbles += 1;
      } else {
        if (size !== cell.size) {
          cell.bubble.setIcon(pins._bubbleIcon(label, risk, size, alarm));
        } else {
          var el = cell.bubble.getElement();
          if (el && label !== cell.label) el.textContent = label;
          if (el && risk !== cell.risk) {
            el.classList.remove("zs-risk-" + cell.risk);
            el.classList.add("zs-risk-" + risk);
          }
          if (el && alarm !== cell.alarm) el.classList.toggle("zs-alarm", alarm);
        }
        if (Math.abs(bx - cell.bx) > 0.5 || Math.abs(by - cell.by) > 0.5) cell.bubble.setLatLng(at);
      }
      cell.label = label;
      cell.risk = risk;
      cell.alarm = alarm;
      cell.size = size;
      cell.bx = bx;
      cell.by = by;
    },
    _bubbleIcon: function (label, risk, size, alarm) {
      return L.divIcon({ className: "zs-cluster zs-risk-" + risk + (alarm ? " zs-alarm" : ""), html: label,
                         iconSize: [size, size] });
    },

    // ---- heat by township --------------------------------------------------------------------------
    // Each township is filled by its open pins relative to the busiest one (step 1..HEAT_STEPS; 0 for
    // none). Off, the polygons keep dash-leaflet's style untouched.
    _heat: function () {
      pins.heatDirty = false;
      var on = heatOn();
      if (!on && !pins.heatShown) return;
      if (on && !pins.townLayers.size) {
        pins.map.eachLayer(function (layer) {
          if (isTownship(layer)) pins.townLayers.set(layer.feature.properties.code, { layer: layer, step: null });
        });
      }
      var max = 0;
      pins.towns.forEach(function (n) { if (n > max) max = n; });
      pins.townLayers.forEach(function (t, code) {
        var el = t.layer.getElement();
        if (!el) return;
        var n = pins.towns.get(code) || 0;
        var step = !on ? null : n ? Math.max(1, Math.ceil(HEAT_STEPS * n / max)) : 0;
        if (on) el.setAttribute("data-open", String(n));
        if (step === t.step) return;
        if (t.step !== null) el.classList.remove("zs-heat-" + t.step);
        if (step !== null) {
          el.classList.add("zs-heat-" + step);
          el.setAttribute("data-township", code);
        } else {
          el.removeAttribute("data-open");
        }
        t.step = step;
      });
      pins.heatShown = on;
    },
  };
  ns.pins = pins;

  if (window.L && L.Map && L.Map.addInitHook) {
    L.Map.addInitHook(function () {
      var box = this.getContainer();
      if (box && (box.id === "wall-map" || box.classList.contains("zs-map"))) pins.attach(this);
    });
  }
})();
