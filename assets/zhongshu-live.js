/* zhongshu: the wall's live state. Snapshot first, then ordered deltas by push; a seq gap or a
 * reconnect triggers a resync from the snapshot API. Panels are updated in place with
 * dash_clientside.set_props, at most once per RENDER_GAP_MS, and only where something changed.
 */
(function () {
  "use strict";
  var ns = (window.zhongshu = window.zhongshu || {});
  var RENDER_GAP_MS = 30;
  var TICKER_MAX = 40;
  var BUFFER_MAX = 500;

  var live = {
    seq: null,
    syncing: false,
    buffer: [],
    pins: new Map(),
    fresh: new Map(),
    ticker: [],
    counters: null,
    alerts: new Map(),
    lastEventAt: null,
    lastHeartbeatAt: null,
    names: { places: {}, departments: {}, categories: {} },
    labels: {},
    lang: "zh-CN",
    tz: "Asia/Shanghai",
    staleSeconds: 30,
    socket: null,
    listeners: [],
    stats: { resyncs: 0, applied: 0, renders: 0 },
    dirty: {},
    rendered: {},
    lastRender: 0,
    renderTimer: null,
  };
  ns.live = live;

  function label(key) {
    return live.labels[key] || key;
  }

  function setProps(id, props) {
    if (!document.getElementById(id) && id !== "wall-pins") return;
    window.dash_clientside.set_props(id, props);
  }

  function fmt(date, opts) {
    return new Intl.DateTimeFormat(live.lang === "en" ? "en-GB" : "zh-CN",
      Object.assign({ timeZone: live.tz, hour12: false }, opts)).format(date);
  }

  // ---- state changes ------------------------------------------------------------------------------
  function applySnapshot(snap) {
    live.pins = new Map();
    snap.pins.forEach(function (p) { live.pins.set(p.case_no, p); });
    live.ticker = snap.ticker.slice(-TICKER_MAX);
    live.counters = snap.counters;
    live.alerts = new Map();
    snap.alerts.forEach(function (a) { live.alerts.set(a.alert_id, a); });
    live.lastEventAt = snap.last_event_at;
    live.lastHeartbeatAt = snap.last_heartbeat_at || live.lastHeartbeatAt;
    if (snap.names) live.names = snap.names;
    live.seq = snap.seq;
    markAll();
  }

  function applyDelta(d) {
    var now = Date.now();
    d.pins.upsert.forEach(function (p) {
      if (!live.pins.has(p.case_no)) live.fresh.set(p.case_no, now);
      live.pins.set(p.case_no, p);
    });
    d.pins.remove.forEach(function (c) { live.pins.delete(c); live.fresh.delete(c); });
    var top = live.ticker.length ? live.ticker[live.ticker.length - 1].seq : 0;
    d.ticker.forEach(function (row) { if (row.seq > top) live.ticker.push(row); });
    if (live.ticker.length > TICKER_MAX) live.ticker.splice(0, live.ticker.length - TICKER_MAX);
    live.counters = d.counters;
    d.alerts.raised.forEach(function (a) { live.alerts.set(a.alert_id, a); });
    d.alerts.cleared.forEach(function (id) { live.alerts.delete(id); });
    if (d.last_event_at) live.lastEventAt = d.last_event_at;
    live.seq = Math.max(live.seq, d.seq);
    live.stats.applied += 1;
    live.dirty.counters = live.dirty.ticker = live.dirty.alerts = true;
    if (d.pins.upsert.length || d.pins.remove.length) live.dirty.pins = true;
  }

  function onDelta(d) {
    if (live.syncing || live.seq === null) {
      if (live.buffer.length < BUFFER_MAX) live.buffer.push(d);
      else live.buffer = [];
      return;
    }
    if (d.seq < live.seq) return; // already in the snapshot we hold
    if (d.prev > live.seq) {
      live.buffer.push(d);
      resync("gap");
      return;
    }
    applyDelta(d);
    scheduleRender(d);
  }

  function resync(why) {
    if (live.syncing) return;
    live.syncing = true;
    live.stats.resyncs += 1;
    var url = "/api/snapshot?names=1&lang=" + encodeURIComponent(live.lang);
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("snapshot " + r.status);
        return r.json();
      })
      .then(function (snap) {
        applySnapshot(snap);
        var pending = live.buffer;
        live.buffer = [];
        live.syncing = false;
        pending.forEach(function (d) {
          if (d.seq >= live.seq && d.prev <= live.seq) applyDelta(d);
        });
        scheduleRender(null);
      })
      .catch(function () {
        live.syncing = false;
        setTimeout(function () { resync(why); }, 2000 + Math.random() * 2000);
      });
  }

  function onStatus(s) {
    if (s.last_event_at) live.lastEventAt = s.last_event_at;
    if (s.last_heartbeat_at) live.lastHeartbeatAt = s.last_heartbeat_at;
    if (live.seq !== null && !live.syncing && s.seq > live.seq) resync("status");
    renderFeed();
  }

  // ---- drawing ------------------------------------------------------------------------------------
  function markAll() {
    live.dirty = { counters: true, ticker: true, alerts: true, pins: true };
  }

  function scheduleRender(delta) {
    if (delta) live.pendingDeltas = (live.pendingDeltas || []).concat([delta]);
    var wait = RENDER_GAP_MS - (Date.now() - live.lastRender);
    if (wait <= 0) {
      render();
    } else if (!live.renderTimer) {
      live.renderTimer = setTimeout(function () { live.renderTimer = null; render(); }, wait);
    }
  }

  function signed(n) {
    return (n > 0 ? "+" : n < 0 ? "\u2212" : "\u00b1") + Math.abs(n);
  }

  function renderCounters() {
    var c = live.counters;
    if (!c) return;
    ["today_registered", "open", "today_resolved", "overdue"].forEach(function (key) {
      var text = String(c[key]);
      if (live.rendered[key] !== text) {
        live.rendered[key] = text;
        setProps("wall-c-" + key, { children: text });
      }
    });
    var subs = {
      today_registered: label("counter.vs_yesterday") + " " + signed(c.today_registered_delta),
      today_resolved: label("counter.vs_yesterday") + " " + signed(c.today_resolved_delta),
      open: label("counter.open_hint"),
      overdue: label("counter.overdue_hint"),
    };
    Object.keys(subs).forEach(function (key) {
      if (live.rendered[key + "-sub"] !== subs[key]) {
        live.rendered[key + "-sub"] = subs[key];
        setProps("wall-c-" + key + "-sub", { children: subs[key] });
      }
    });
  }

  function pinsCollection() {
    var now = Date.now();
    var features = [];
    live.fresh.forEach(function (t, caseNo) { if (now - t > 8000) live.fresh.delete(caseNo); });
    live.pins.forEach(function (p) {
      features.push({
        type: "Feature",
        geometry: { type: "Point", coordinates: [p.lon, p.lat] },
        properties: { case_no: p.case_no, risk: p.risk, state: p.state, fresh: live.fresh.has(p.case_no) },
      });
    });
    return { type: "FeatureCollection", features: features };
  }

  function tickerText(row) {
    var n = live.names;
    var when = fmt(new Date(row.at), { hour: "2-digit", minute: "2-digit" });
    var parts = [when, n.places[row.township] || row.township || "", n.categories[row.category] ||
      row.category || "", label("event." + row.type)];
    var text = parts.filter(Boolean).join(" · ");
    if (row.department && n.departments[row.department]) text += "（" + n.departments[row.department] + "）";
    return text;
  }

  function renderTicker() {
    var rows = live.ticker.slice().reverse();
    var children = rows.length
      ? rows.map(function (row) {
          return { type: "Li", namespace: "dash_html_components",
                   props: { children: tickerText(row), className: "zs-tick zs-tick-" + row.type.replace(".", "-"),
                            key: String(row.seq) } };
        })
      : [{ type: "Li", namespace: "dash_html_components",
           props: { children: label("ticker.empty"), className: "zs-empty" } }];
    setProps("wall-ticker", { children: children });
  }

  function renderAlerts() {
    var items = [];
    live.alerts.forEach(function (a) {
      var when = fmt(new Date(a.raised_at), { hour: "2-digit", minute: "2-digit" });
      var place = live.names.places[a.township] || "";
      items.push({ type: "Li", namespace: "dash_html_components",
                   props: { children: "\u26a0 " + [when, place, a.title].filter(Boolean).join(" · "),
                            className: "zs-alert zs-alert-" + a.level, key: a.alert_id } });
    });
    if (!items.length) {
      items.push({ type: "Li", namespace: "dash_html_components",
                   props: { children: label("alerts.none"), className: "zs-empty" } });
    }
    setProps("wall-alerts", { children: items });
  }

  function render() {
    live.lastRender = Date.now();
    live.stats.renders += 1;
    var dirty = live.dirty;
    live.dirty = {};
    if (dirty.counters) renderCounters();
    if (dirty.pins) setProps("wall-pins", { data: pinsCollection() });
    if (dirty.ticker) renderTicker();
    if (dirty.alerts) renderAlerts();
    renderFeed();
    var done = live.pendingDeltas || [];
    live.pendingDeltas = [];
    if (live.listeners.length && done.length) {
      var at = Date.now();
      done.forEach(function (d) {
        live.listeners.forEach(function (fn) { try { fn(d, at); } catch (e) { /* a listener's bug */ } });
      });
    }
  }

  function renderFeed() {
    var text, cls;
    var freshest = [live.lastEventAt, live.lastHeartbeatAt].filter(Boolean)
      .map(function (s) { return Date.parse(s); });
    var last = freshest.length ? Math.max.apply(null, freshest) : null;
    if (!live.socket || !live.socket.connected) {
      text = label("status.offline");
      cls = "zs-dot zs-dot-bad";
    } else if (last === null) {
      text = label("status.waiting");
      cls = "zs-dot zs-dot-wait";
    } else {
      var age = (Date.now() - last) / 1000;
      if (age > live.staleSeconds) {
        text = age >= 60 ? label("status.stale") + " " + Math.floor(age / 60) + " " + label("status.minutes")
                         : label("status.stale") + " " + Math.floor(age) + " " + label("status.seconds");
        cls = "zs-dot zs-dot-bad";
      } else {
        text = label("status.updated") + " " + fmt(new Date(last),
          { hour: "2-digit", minute: "2-digit", second: "2-digit" });
        cls = "zs-dot zs-dot-ok";
      }
    }
    if (live.rendered.feed !== text) {
      live.rendered.feed = text;
      setProps("wall-feed-status", { children: text });
    }
    if (live.rendered.feedDot !== cls) {
      live.rendered.feedDot = cls;
      setProps("wall-feed-dot", { className: cls });
    }
  }

  function tick() {
    var now = new Date();
    var date = fmt(now, { year: "numeric", month: "2-digit", day: "2-digit" });
    var weekday = label("weekday." + ((now.getDay() + 6) % 7));
    var time = fmt(now, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    if (live.rendered.date !== date + weekday) {
      live.rendered.date = date + weekday;
      setProps("wall-date", { children: date + " " + weekday });
    }
    setProps("wall-time", { children: time });
    renderFeed();
    if (live.fresh.size) { live.dirty.pins = true; scheduleRender(null); }
  }

  // ---- start --------------------------------------------------------------------------------------
  function start(root) {
    live.lang = root.getAttribute("data-lang") || "zh-CN";
    live.tz = root.getAttribute("data-tz") || "Asia/Shanghai";
    live.staleSeconds = parseFloat(root.getAttribute("data-stale") || "30");
    try { live.labels = JSON.parse(root.getAttribute("data-labels") || "{}"); } catch (e) { live.labels = {}; }
    var socket = new ns.SocketClient({ auth: { view: "wall" } });
    live.socket = socket;
    socket.on("connect", function () { live.buffer = []; resync("connect"); renderFeed(); });
    socket.on("disconnect", function () { renderFeed(); });
    socket.on("delta", onDelta);
    socket.on("status", onStatus);
    socket.connect();
    tick();
    setInterval(tick, 1000);
  }

  live.onApplied = function (fn) { live.listeners.push(fn); };

  function waitForWall() {
    if (!/^\/wall\/?$/.test(window.location.pathname)) return;
    var root = document.getElementById("wall-root");
    if (root && window.dash_clientside && window.dash_clientside.set_props) {
      start(root);
      return;
    }
    setTimeout(waitForWall, 50);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", waitForWall);
  else waitForWall();
})();
