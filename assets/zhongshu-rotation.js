/* zhongshu: the wall's optional rotation (轮播). The pages named in #wall-root's data-rotation take the
 * map's place in turn, each for data-rotation-seconds: "overview" (the live map), "departments" (the full
 * department response table) and "township" (the map zoomed to one township, the next one each time,
 * with its figures). While an alert overlay is on screen the wall goes back to the overview and rotation
 * waits; it resumes when the overlay goes. The page timer is the only timer here: data still comes by push
 * (the pages draw from zhongshu.live's state).
 */
(function () {
  "use strict";
  var ns = (window.zhongshu = window.zhongshu || {});

  function el(id) { return document.getElementById(id); }
  var labels = {};
  // The page may switch before zhongshu-live.js has read the labels: read them here too.
  function label(key) { return labels[key] || ns.ui.label(key); }
  function pct(rate) { return ns.ui.pct(rate); }
  function hrs(h) { return ns.ui.hrs(h); }

  var rot = {
    pages: [],
    seconds: 30,
    index: 0,
    page: "overview",
    shownAt: 0,
    paused: false,
    town: -1,
    focused: null,
    drawnLeagues: null,
    timer: null,
    switches: 0,
  };
  ns.rotation = rot;

  function overlayShown() {
    var o = el("wall-alert-overlay");
    return !!(o && o.textContent);
  }

  function renderDots() {
    var dots = el("wall-page-dots");
    if (!dots) return;
    dots.textContent = rot.pages.length > 1
      ? rot.pages.map(function (_p, i) { return i === rot.index ? "\u25cf" : "\u25cb"; }).join(" ") : "";
  }

  function cell(row, tag, text, cls) {
    var c = document.createElement(tag);
    c.textContent = text;
    if (cls) c.className = cls;
    row.appendChild(c);
  }

  function renderDepartments() {
    var table = el("wall-dept-table");
    var lg = ns.live && ns.live.leagues;
    if (!table || !lg) return;
    rot.drawnLeagues = lg;
    table.textContent = "";
    var head = document.createElement("tr");
    ["dept.name", "dept.assigned", "dept.sign", "dept.resolve", "dept.on_time", "dept.overdue", "dept.returns"]
      .forEach(function (key) { cell(head, "th", label(key)); });
    table.appendChild(head);
    var names = ns.live.names.departments;
    lg.departments.forEach(function (d) {
      var tr = document.createElement("tr");
      cell(tr, "td", names[d.department] || d.department);
      cell(tr, "td", String(d.assigned));
      cell(tr, "td", hrs(d.sign_median_h));
      cell(tr, "td", hrs(d.resolve_median_h));
      cell(tr, "td", pct(d.on_time_rate), d.on_time_rate !== null && d.on_time_rate < 0.9 ? "zs-bad" : "");
      cell(tr, "td", String(d.overdue), d.overdue > 0 ? "zs-bad" : "");
      cell(tr, "td", String(d.returns), d.returns > 0 ? "zs-warn-cell" : "");
      table.appendChild(tr);
    });
    ns.ui.trimToFit(table, el("wall-page-departments"), 2); // whole rows only, the header and one at least
  }

  function townshipLayers() {
    var map = ns.pins && ns.pins.map;
    var found = [];
    if (!map) return found;
    map.eachLayer(function (layer) {
      var f = layer.feature;
      if (f && f.properties && f.properties.tier === "05" && layer.getBounds) found.push(layer);
    });
    found.sort(function (a, b) { return a.feature.properties.code < b.feature.properties.code ? -1 : 1; });
    return found;
  }

  function unfocus() {
    if (rot.focused) {
      rot.focused.getElement && rot.focused.getElement() && rot.focused.getElement().classList.remove("zs-focused");
      rot.focused = null;
    }
    var card = el("wall-focus");
    if (card) card.textContent = "";
  }

  function focusNext() {
    var layers = townshipLayers();
    if (!layers.length) return;
    rot.town = (rot.town + 1) % layers.length;
    var layer = layers[rot.town];
    rot.focused = layer;
    var node = layer.getElement && layer.getElement();
    if (node) node.classList.add("zs-focused");
    ns.pins.map.fitBounds(layer.getBounds(), { padding: [24, 24], animate: false });
    renderFocusCard();
  }

  function renderFocusCard() {
    var card = el("wall-focus");
    if (!card || !rot.focused) return;
    var code = rot.focused.feature.properties.code;
    var open = 0;
    if (ns.live) ns.live.pins.forEach(function (p) { if (p.township === code) open += 1; });
    var row = null;
    ((ns.live && ns.live.leagues && ns.live.leagues.townships) || []).forEach(function (t) {
      if (t.township === code) row = t;
    });
    card.textContent = "";
    card.setAttribute("data-township", code);
    var name = document.createElement("div");
    name.className = "zs-focus-name";
    name.textContent = (ns.live && ns.live.names.places[code]) || rot.focused.feature.properties.name || code;
    card.appendChild(name);
    [["focus.open", String(open)], ["focus.overdue", row ? String(row.overdue) : "0"],
     ["focus.registered", row ? String(row.registered) : "0"], ["focus.success_rate", pct(row && row.success_rate)]]
      .forEach(function (pair) {
        var item = document.createElement("div");
        item.className = "zs-focus-item";
        cell(item, "span", label(pair[0]), "zs-focus-label");
        cell(item, "span", pair[1], "zs-focus-value");
        card.appendChild(item);
      });
  }

  function show(index) {
    var root = el("wall-root");
    if (!root) return;
    var page = rot.pages.length ? rot.pages[index] : "overview";
    var was = rot.page;
    rot.index = index;
    rot.page = page;
    rot.shownAt = Date.now();
    rot.switches += 1;
    root.setAttribute("data-page", page);
    var title = el("wall-map-title");
    if (title) title.textContent = label("page." + page);
    if (was === "township") unfocus();
    if (page === "departments") renderDepartments();
    if (page === "township") focusNext();
    else if (was === "township" && ns.pins && ns.pins.fit) ns.pins.fit();
    renderDots();
  }

  function tick() {
    if (!ns.live || ns.live.seq === null) {
      // Nothing to show yet: hold the overview, so its first turn is a whole one once the figures are in.
      rot.shownAt = Date.now();
      return;
    }
    if (overlayShown()) {
      // An alert takes the screen: back to the map it is drawn over, and hold there.
      if (rot.page !== "overview") show(Math.max(0, rot.pages.indexOf("overview")));
      rot.paused = true;
      rot.shownAt = Date.now();
      return;
    }
    rot.paused = false;
    if (rot.page === "departments" && ns.live && ns.live.leagues !== rot.drawnLeagues) renderDepartments();
    if (rot.page === "township") renderFocusCard();
    if (Date.now() - rot.shownAt >= rot.seconds * 1000) show((rot.index + 1) % rot.pages.length);
  }

  // For the canvas test and an operator's console: show a page now; stop the timer (an alert then holds
  // nothing either).
  rot.show = function (index) { show(index); };
  rot.stop = function () { clearInterval(rot.timer); rot.timer = null; };

  function start(root) {
    try { labels = JSON.parse(root.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
    try { rot.pages = JSON.parse(root.getAttribute("data-rotation") || "[]"); } catch (e) { rot.pages = []; }
    rot.seconds = parseFloat(root.getAttribute("data-rotation-seconds") || "30");
    if (rot.pages.length < 2) return; // one page or none: nothing to rotate
    show(0);
    rot.timer = setInterval(tick, 1000);
  }

  function waitForWall() {
    if (!/^\/wall\/?$/.test(window.location.pathname)) return;
    var root = el("wall-root");
    if (root && ns.pins && ns.pins.map) {
      start(root);
      return;
    }
    setTimeout(waitForWall, 100);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", waitForWall);
  else waitForWall();
})();
