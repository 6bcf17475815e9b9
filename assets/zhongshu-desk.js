/* zhongshu: the desks' doorbell. On /desk pages a Socket.IO connection to the "desk" room hears which cases each
 * push changed and sets the frame's store `desk-bell` to {seq, cases, n}, at most once every GAP_MS (rings in
 * between are merged), so a list or a case page re-reads the store instead of receiving data it must merge.
 * `cases` is null when anything may have changed: on every (re)connect, since rings may have been missed while
 * no socket was open. A session that ended (connect_error "unauthorized") reloads the page, which the server
 * answers with the sign-in page.
 */
(function () {
  "use strict";
  var ns = (window.zhongshu = window.zhongshu || {});
  var BELL = "desk-bell";
  var GAP_MS = 1000;

  var client = null;
  var pending = null; // null: nothing waiting; ALL: anything; else {case_no: true}
  var ALL = {};
  var seq = 0;
  var n = 0;
  var lastRing = 0;
  var timer = null;

  function onDesk(path) { return /^\/desk(\/|$)/.test(path || window.location.pathname); }

  function flush() {
    timer = null;
    if (pending === null) return;
    var dc = window.dash_clientside;
    if (!dc || !dc.set_props) {  // the renderer is not up yet (a store has no element to look for)
      timer = setTimeout(flush, GAP_MS);
      return;
    }
    var cases = pending === ALL ? null : Object.keys(pending).sort();
    pending = null;
    lastRing = Date.now();
    n += 1;
    dc.set_props(BELL, { data: { seq: seq, cases: cases, n: n } });
  }

  function ring(changed, atSeq) {
    if (atSeq > seq) seq = atSeq;
    if (changed === null) {
      pending = ALL;
    } else if (pending !== ALL) {
      pending = pending || {};
      for (var i = 0; i < changed.length; i++) pending[String(changed[i])] = true;
    }
    if (timer !== null) return;
    timer = setTimeout(flush, Math.max(0, lastRing + GAP_MS - Date.now()));
  }

  function start() {
    if (client || !ns.SocketClient) return;
    client = new ns.SocketClient({ auth: { view: "desk" } });
    client.on("connect", function () { ring(null, seq); });
    client.on("cases", function (msg) {
      if (msg && typeof msg.seq === "number") ring(Array.isArray(msg.cases) ? msg.cases : null, msg.seq);
    });
    client.on("connect_error", function (reason) {
      if (String(reason).indexOf("unauthorized") >= 0) {
        client.close();
        window.location.reload();
      }
    });
    client.connect();
  }

  function stop() {
    if (!client) return;
    client.close();
    client = null;
  }

  window.addEventListener("online", function () { if (client) client.retryNow(); });

  // Back or forward between two filters of the list: the page is drawn again from its URL (the filter bar
  // writes the URL; it does not listen to it).
  window.addEventListener("popstate", function () {
    if (window.location.pathname === "/desk") window.location.reload();
  });

  ns.desk = {
    ring: ring, start: start, stop: stop, onDesk: onDesk,
    connected: function () { return Boolean(client && client.connected); },
  };

  // The desk's map: each filtered case a small circle, coloured by risk, named in a tooltip (text, never markup)
  // and opening its case on a click. dash-leaflet calls this by name (pointToLayer={"variable": ...}).
  var RISK_COLOURS = { overdue: "#ff4d4f", open: "#4fa3ff", closed: "#8c8c8c" };
  ns.deskMap = {
    point: function (feature, latlng) {
      var p = (feature && feature.properties) || {};
      var colour = RISK_COLOURS[p.risk] || RISK_COLOURS.open;
      var marker = L.circleMarker(latlng, { radius: 5, color: colour, weight: 1, fillColor: colour,
        fillOpacity: 0.8 });
      var label = document.createElement("span");
      label.textContent = String(p.label || "");
      marker.bindTooltip(label, { direction: "top" });
      marker.on("click", function () { if (p.href) window.location.assign(p.href); });
      return marker;
    },
  };

  // Fit the desk's map to the county once its boundaries are drawn: dash-leaflet fitted the bounds it was given
  // to the box as it was when the map was made, before the page's grid gave the box its size. Only the
  // first fit: after that the view is the officer's.
  function boundaryBounds(map) {
    var bounds = null;
    map.eachLayer(function (layer) {
      var geometry = layer.feature && layer.feature.geometry;
      if (geometry && geometry.type !== "Point" && layer.getBounds) {
        bounds = bounds ? bounds.extend(layer.getBounds()) : L.latLngBounds(layer.getBounds().getSouthWest(),
                                                                            layer.getBounds().getNorthEast());
      }
    });
    return bounds;
  }
  if (window.L && L.Map && L.Map.addInitHook) {
    L.Map.addInitHook(function () {
      var map = this;
      var box = map.getContainer();
      if (!box || box.id !== "desk-map") return;
      ns.deskMap.map = map;
      var fitted = false;
      var timer = null;
      function fitSoon() {
        if (fitted) return;
        clearTimeout(timer);
        timer = setTimeout(function () {
          var bounds = boundaryBounds(map);
          if (!bounds || !bounds.isValid()) return;
          map.invalidateSize();
          map.fitBounds(bounds, { padding: [8, 8] });
          fitted = true;
        }, 50);
      }
      map.on("layeradd", fitSoon);
      if (window.ResizeObserver) new ResizeObserver(function () { map.invalidateSize(); }).observe(box);
    });
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.zhongshu_desk = {
    // A new filter or a change that touched the list: the grid forgets its pages and asks again; a new filter
    // also goes back to the first page (a pushed change keeps the officer's page).
    purge: function (filter, dirty, gridId) {
      var dag = window.dash_ag_grid;
      var api = null;
      try { api = dag && dag.getApi ? dag.getApi(gridId) : null; } catch (err) { api = null; }
      if (api) {
        var triggered = (window.dash_clientside.callback_context || {}).triggered || [];
        var newFilter = triggered.some(function (t) { return String(t.prop_id).indexOf("desk-filter") === 0; });
        if (newFilter && api.paginationGoToFirstPage) api.paginationGoToFirstPage();
        api.purgeInfiniteCache();
      }
      return Date.now();
    },
    // The clientside callback on the URL's path: keep the socket open exactly while a desk page shows.
    follow: function (pathname) {
      if (onDesk(pathname)) start(); else stop();
      return onDesk(pathname);
    },
  };
})();
