/* zhongshu: the wall's live state. Snapshot first, then ordered deltas by push; a seq gap, a reconnect
 * or a status naming a newer seq triggers a resync: the deltas it missed, or a snapshot when they are gone.
 * Figures, ticker, warnings and leagues are drawn into nodes this script owns (Dash renders them empty);
 * pins are kept in place by zhongshu-map.js. Nothing here polls for live data: the only timers are the clock
 * and the roster's daily reload.
 * On the desk's copy of the wall (#wall-root data-desk="1", from /wall?desk=1) figures, rows and pins are
 * links into the desk (zhongshu.drill); on a kiosk nothing is.
 */
(function () {
  "use strict";
  var ns = (window.zhongshu = window.zhongshu || {});
  var TICKER_MAX = 40;
  var BUFFER_MAX = 500;

  var live = {
    seq: null,
    syncing: false,
    buffer: [],
    pins: new Map(),
    ticker: [],
    counters: null,
    warnings: [],
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
    stats: { resyncs: 0, catchups: 0, caughtUp: 0, snapshots: 0, applied: 0, renders: 0, ms: {} },
    dirty: {},
    pendingDeltas: [],
    pinChanges: new Set(),
    freshPins: new Set(),
    renderGapMs: 0,
    lastRender: 0,
    renderTimer: null,

  };
  ns.live = live;

  // Small helpers the other wall scripts (trends, rotation) share.
  ns.ui = {
    label: function (key) { return label(key); },
    pct: function (rate) { return pct(rate); },
    hrs: function (h) { return hrs(h); },
    trimToFit: function (list, box, keep) { trimToFit(list, box, keep); },
  };

  function label(key) {
    return live.labels[key] || key;
  }

  // ---- drill-down: the desk's copy of the wall ------------------------------------------------------
  // Only with data-desk="1" on #wall-root (the layout sets it for a viewer who may open the desk and asked
  // with ?desk=1): a kiosk's wall stays hands-off, with no link, no focus stop, no hover. Values go into
  // URLs encoded and onto the page as text; links open in the same tab (the desk is a desk).
  var drill = {
    on: false,
    labels: {},
    // Read the mode from #wall-root (by whichever wall script starts first: the map may come before the live
    // state does). Idempotent.
    start: function (root) {
      drill.on = !!root && root.getAttribute("data-desk") === "1";
      if (!drill.on) return false;
      document.body.classList.add("zs-desk-copy"); // a pointer and hover on the desk's copy only (wall.css)
      try { drill.labels = JSON.parse(root.getAttribute("data-drill") || "{}"); } catch (e) { drill.labels = {}; }
      return true;
    },
    // A desk URL: path plus [name, value] pairs in order, and the wall's own ?lang= so the desk speaks it.
    // Off the desk there is none (null), so a kiosk builds no link and spends nothing on one.
    href: function (path, params) {
      if (!drill.on) return null;
      var parts = (params || []).filter(function (p) { return p[1] !== null && p[1] !== undefined && p[1] !== ""; })
        .map(function (p) { return encodeURIComponent(p[0]) + "=" + encodeURIComponent(String(p[1])); });
      var lang = new URLSearchParams(window.location.search).get("lang");
      if (lang) parts.push("lang=" + encodeURIComponent(lang));
      return path + (parts.length ? "?" + parts.join("&") : "");
    },
    list: function (params) { return drill.href("/desk", params); },
    caseHref: function (caseNo) {
      return caseNo && drill.on ? drill.href("/desk/case/" + encodeURIComponent(String(caseNo))) : null;
    },
    // Make a drawn row a link: its children move into one <a> (the row's own element stays, so lists and
    // their CSS keep their shape). Off the desk, or with nothing to link to, the row is left as it is.
    link: function (node, href, title) {
      if (!drill.on || !href) return node;
      var a = document.createElement("a");
      a.className = "zs-drill";
      a.href = href;
      if (title) a.title = title;
      while (node.firstChild) a.appendChild(node.firstChild);
      node.appendChild(a);
      return node;
    },
    // Point a link the layout drew (a counter's or a chart's) at a desk URL; unchanged hrefs are not rewritten.
    point: function (id, href) {
      var a = drill.on && href ? document.getElementById(id) : null;
      if (a && a.getAttribute("href") !== href) a.setAttribute("href", href);
    },
    go: function (href) { if (drill.on && href) window.location.assign(href); },
  };
  ns.drill = drill;

  // What each headline counter opens at the desk (deskqueries.CaseFilter); where no filter holds the
  // figure's exact 口径 the nearest list, and the link's title (layouts/i18n.py drill.*) says which.
  function counterLinks(c) {
    var day = c.day || null, month = day ? day.slice(0, 8) + "01" : null;
    return {
      today_registered: day && drill.list([["since", day], ["until", day]]),
      open: drill.list([["state", "open"]]),
      today_resolved: day && drill.list([["resolved_since", day], ["resolved_until", day]]),
      month_resolution_rate: day && drill.list([["since", month], ["until", day]]),
      success_rate: day && drill.list([["resolved_since", month], ["resolved_until", day]]),
      overdue: drill.list([["state", "open"], ["overdue", "1"]]),
      supervised: drill.list([["cards", "1"], ["state", "open"]]),
      major: drill.list([["major", "1"], ["state", "open"]]),
      satisfaction_rate: drill.list([["state", "visited"]]),
    };
  }

  function fmt(date, opts) {
    return new Intl.DateTimeFormat(live.lang === "en" ? "en-GB" : "zh-CN",
      Object.assign({ timeZone: live.tz, hour12: false }, opts)).format(date);
  }

  // ---- state changes ------------------------------------------------------------------------------
  function applySnapshot(snap) {
    live.pins = new Map();
    snap.pins.forEach(function (p) { live.pins.set(p.case_no, p); });
    live.pinChanges.clear();
    live.freshPins.clear();
    if (ns.pins) ns.pins.sync(live.pins);
    live.ticker = snap.ticker.slice(-TICKER_MAX);
    live.counters = snap.counters;
    live.warnings = snap.warnings || [];
    if (snap.leagues) live.leagues = snap.leagues;
    if (snap.trends) live.trends = snap.trends;
    if (snap.sources) live.sources = snap.sources;
    live.alerts = new Map();
    snap.alerts.forEach(function (a) { live.alerts.set(a.alert_id, a); });
    live.lastEventAt = snap.last_event_at;
    live.lastHeartbeatAt = snap.last_heartbeat_at || live.lastHeartbeatAt;
    if (snap.names) live.names = snap.names;
    live.seq = snap.seq;
    markAll();
  }

  function applyDelta(d) {
    d.pins.upsert.forEach(function (p) {
      if (!live.pins.has(p.case_no)) live.freshPins.add(p.case_no);
      live.pins.set(p.case_no, p);
      live.pinChanges.add(p.case_no);
    });
    d.pins.remove.forEach(function (c) {
      live.pins.delete(c);
      live.freshPins.delete(c);
      live.pinChanges.add(c);
    });
    var top = live.ticker.length ? live.ticker[live.ticker.length - 1].seq : 0;
    d.ticker.forEach(function (row) { if (row.seq > top) live.ticker.push(row); });
    if (live.ticker.length > TICKER_MAX) live.ticker.splice(0, live.ticker.length - TICKER_MAX);
    live.counters = d.counters;
    if (d.warnings) { live.warnings = d.warnings; live.dirty.warnings = true; }
    d.alerts.raised.forEach(function (a) { live.alerts.set(a.alert_id, a); });
    d.alerts.cleared.forEach(function (id) { live.alerts.delete(id); });
    if (d.last_event_at) live.lastEventAt = d.last_event_at;
    live.seq = Math.max(live.seq, d.seq);
    live.stats.applied += 1;
    live.dirty.counters = live.dirty.ticker = true;
    if (d.alerts.raised.length || d.alerts.cleared.length) live.dirty.alerts = true;
  }

  // The server says this screen may no longer see data: its display token was revoked, or its session
  // ended. Stop listening and take every figure, pin and row off the screen, leaving one notice; the
  // screen stays dark until someone opens a new display link on it.
  function goDark() {
    if (live.dark) return;
    live.dark = true;
    if (live.socket) live.socket.close();
    clearInterval(live.clock);
    clearTimeout(live.renderTimer);
    live.buffer = [];
    var app = document.getElementById("react-entry-point") || document.getElementById("wall-root");
    var notice = document.createElement("div");
    notice.id = "wall-revoked";
    notice.className = "zs-revoked";
    notice.textContent = label("status.revoked");
    if (app && app.parentNode) app.parentNode.replaceChild(notice, app);
    else document.body.appendChild(notice);
  }

  function onDelta(d) {
    if (live.dark) return;
    d.received_ms = Date.now();
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

  // Bring the wall up to the server: first by the deltas it missed (the ingest logs what it pushes; a web
  // process serves them from Redis), and by a whole snapshot from the store when the log cannot (410: trimmed,
  // a break in the chain, too far behind) or on the first load. Deltas pushed meanwhile wait in the buffer.
  function resync(why) {
    if (live.syncing) return;
    live.syncing = true;
    live.stats.resyncs += 1;
    if (live.seq === null) { takeSnapshot(why); return; }
    var url = "/api/deltas?after=" + live.seq + "&why=" + encodeURIComponent(why);
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { goDark(); return null; }
        return r.status === 200 ? r.json() : null;
      })
      .then(function (c) {
        if (live.dark) return;
        if (c && catchUp(c)) {
          live.stats.catchups += 1;
          finishSync();
        } else {
          takeSnapshot("catchup");
        }
      })
      .catch(function () { takeSnapshot("catchup"); });
  }

  function catchUp(c) {
    if (c.after !== live.seq) return false;
    for (var i = 0; i < c.deltas.length; i++) {
      var d = c.deltas[i];
      if (d.seq < live.seq) continue;
      if (d.prev > live.seq) return false;
      applyDelta(d);
    }
    if (c.leagues) { live.leagues = c.leagues; live.dirty.leagues = true; }
    if (c.trends) { live.trends = c.trends; live.dirty.trends = true; }
    if (c.sources) live.sources = c.sources;
    if (c.last_heartbeat_at) live.lastHeartbeatAt = c.last_heartbeat_at;
    live.stats.caughtUp += c.merged || c.deltas.length;
    return true;
  }

  function takeSnapshot(why) {
    live.stats.snapshots += 1;
    var url = "/api/snapshot?names=1&lang=" + encodeURIComponent(live.lang) + "&why=" + encodeURIComponent(why);
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { goDark(); return null; }
        if (!r.ok) throw new Error("snapshot " + r.status);
        return r.json();
      })
      .then(function (snap) {
        if (live.dark || !snap) return;
        applySnapshot(snap);
        finishSync();
      })
      .catch(function () {
        live.syncing = false;
        setTimeout(function () { resync(why); }, 2000 + Math.random() * 2000);
      });
  }

  // Apply what was pushed while syncing; a break in it starts another resync.
  function finishSync() {
    var pending = live.buffer;
    live.buffer = [];
    live.syncing = false;
    for (var i = 0; i < pending.length; i++) {
      var d = pending[i];
      if (d.seq < live.seq) continue;
      if (d.prev > live.seq) { scheduleRender(null); resync("gap"); return; }
      applyDelta(d);
    }
    scheduleRender(null);
  }

  function onStatus(s) {
    if (s.last_event_at) live.lastEventAt = s.last_event_at;
    if (s.last_heartbeat_at) live.lastHeartbeatAt = s.last_heartbeat_at;
    if (s.sources) live.sources = s.sources;
    if (live.seq !== null && !live.syncing && s.seq > live.seq) resync("status");
    renderFeed();
  }

  // ---- drawing ------------------------------------------------------------------------------------
  // Text panels are drawn straight into nodes this script owns (Dash renders them empty and never
  // touches them again): set_props on a 40-row ticker cost ~8 ms a delta in Dash's renderer, direct
  // DOM a fraction of one. The map's pins are kept in place by assets/zhongshu-map.js.


  function el(id) { return document.getElementById(id); }

  function setText(id, text) {
    var node = el(id);
    if (node && node.textContent !== text) node.textContent = text;
  }

  function setClass(id, cls) {
    var node = el(id);
    if (node && node.className !== cls) node.className = cls;
  }

  function markAll() {
    live.dirty = { counters: true, ticker: true, alerts: true, warnings: true, leagues: true, trends: true,
                  tickerReset: true };
  }

  function timed(name, fn) {
    var t0 = performance.now();
    fn();
    var ms = performance.now() - t0;
    var s = live.stats.ms[name] || (live.stats.ms[name] = { n: 0, total: 0, max: 0 });
    s.n += 1; s.total += ms; if (ms > s.max) s.max = ms;
  }

  // Draw at once when the last drawing is live.renderGapMs old, else once at the end of the gap. The
  // default 0 draws every delta as it comes (lowest latency); a gap of 40 ms roughly halved a wall's
  // CPU at 50 deltas/s in our measurements, at the price of up to 40 ms more latency under load.
  function scheduleRender(delta) {
    if (live.dark) return;
    if (delta) live.pendingDeltas.push(delta);
    if (live.renderTimer) return;
    var wait = live.renderGapMs - (Date.now() - live.lastRender);
    if (wait <= 0) {
      render();
    } else {
      live.renderTimer = setTimeout(function () { live.renderTimer = null; render(); }, wait);
    }
  }

  function renderPins() {
    if (!ns.pins) return;
    live.pinChanges.forEach(function (caseNo) {
      var p = live.pins.get(caseNo);
      if (p) ns.pins.upsert(p, live.freshPins.has(caseNo));
      else ns.pins.remove(caseNo);
    });
    live.pinChanges.clear();
    live.freshPins.clear();
  }

  // A figure wider than its card (「103 / 8」) shrinks until it fits, never below 60 % of its size.
  function fitFigures() {
    var nodes = document.querySelectorAll(".zs-counter-value");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var text = node.textContent;
      if (node.getAttribute("data-fit") === text) continue;
      node.setAttribute("data-fit", text);
      node.style.fontSize = "";
      var room = node.clientWidth, need = node.scrollWidth;
      if (need > room && room > 0) {
        var base = parseFloat(window.getComputedStyle(node).fontSize);
        node.style.fontSize = Math.max(base * 0.6, Math.floor(base * room / need)) + "px";
      }
    }
  }

  function setPercent(id, rate) {
    // The number at full size, the % sign smaller, so nine figures fit one row at 1920 px.
    var node = el(id);
    if (!node) return;
    // From 100 % up (本月办结率 early in a month, when last month's cases close: its 口径 is resolved this
    // month / registered this month) whole percents: "120%" keeps the tile's size, "119.7%" would not.
    var text = rate === null || rate === undefined ? "\u2014"
      : rate >= 0.9995 ? String(Math.round(rate * 100)) : (rate * 100).toFixed(1);
    if (node.getAttribute("data-value") === text) return;
    node.setAttribute("data-value", text);
    node.textContent = text;
    if (text !== "\u2014") {
      var unit = document.createElement("span");
      unit.className = "zs-unit";
      unit.textContent = "%";
      node.appendChild(unit);
    }
  }

  // 黄牌 / 红牌: each number in its card's colour, the slash small, so the pair fits its card at full size.
  function setCards(id, yellow, red) {
    var node = el(id);
    if (!node) return;
    var text = yellow + " / " + red;
    if (node.getAttribute("data-value") === text) return;
    node.setAttribute("data-value", text);
    node.textContent = "";
    [[String(yellow), "zs-card-yellow"], [" / ", "zs-card-sep"], [String(red), "zs-card-red"]].forEach(function (part) {
      var span = document.createElement("span");
      span.className = part[1];
      span.textContent = part[0];
      node.appendChild(span);
    });
  }

  function signed(n) {
    return (n > 0 ? "+" : n < 0 ? "\u2212" : "\u00b1") + Math.abs(n);
  }

  function renderCounters() {
    var c = live.counters;
    if (!c) return;
    ["today_registered", "open", "today_resolved", "overdue", "major"].forEach(function (key) {
      setText("wall-c-" + key, String(c[key]));
    });
    ["month_resolution_rate", "success_rate", "satisfaction_rate"].forEach(function (key) {
      setPercent("wall-c-" + key, c[key]);
    });
    setCards("wall-c-supervised", c.yellow, c.red);
    if (drill.on) {
      var links = counterLinks(c);
      Object.keys(links).forEach(function (key) { drill.point("wall-c-" + key + "-link", links[key]); });
    }
    fitFigures();
    var vs = label("counter.vs_yesterday") + " ";
    setText("wall-c-today_registered-sub", vs + signed(c.today_registered_delta));
    setText("wall-c-today_resolved-sub", vs + signed(c.today_resolved_delta));
    setText("wall-c-overdue-sub", label("counter.warning") + " " + (c.warning || 0));
    // The others change against yesterday's close; before a close was recorded, the card says what it counts.
    var close = c.since_close || {};
    ["open", "major"].forEach(function (key) {
      setText("wall-c-" + key + "-sub", close[key] === null || close[key] === undefined
        ? label("counter." + key + "_hint") : vs + signed(close[key]));
    });
    ["month_resolution_rate", "success_rate", "satisfaction_rate"].forEach(function (key) {
      setText("wall-c-" + key + "-sub", close[key] === null || close[key] === undefined
        ? label("counter." + key + "_hint") : vs + points(close[key]));
    });
    setText("wall-c-supervised-sub", close.yellow === null || close.yellow === undefined || close.red === null
      || close.red === undefined ? label("counter.supervised_hint")
      : vs + signed(close.yellow) + " / " + signed(close.red));
  }

  // A change of a rate, in percentage points ("+0.4", "−1.2", "±0.0").
  function points(delta) {
    var v = Math.round(delta * 1000) / 10;
    return (v > 0 ? "+" : v < 0 ? "\u2212" : "\u00b1") + Math.abs(v).toFixed(1);
  }

  function tickerText(row) {
    var n = live.names;
    var when = fmt(new Date(row.at), { hour: "2-digit", minute: "2-digit" });
    var parts = [when, n.places[row.township] || row.township || "", n.categories[row.category] ||
      row.category || "", label("event." + row.type)];
    var text = parts.filter(Boolean).join(" \u00b7 ");
    if (row.department && n.departments[row.department]) text += "\uff08" + n.departments[row.department] + "\uff09";
    return text;
  }

  function tickerItem(row) {
    var li = document.createElement("li");
    li.className = "zs-tick zs-tick-" + row.type.replace(".", "-");
    li.setAttribute("data-seq", String(row.seq));
    li.textContent = tickerText(row);
    return drill.link(li, drill.caseHref(row.case_no));
  }

  function emptyItem(text) {
    var li = document.createElement("li");
    li.className = "zs-empty";
    li.textContent = text;
    return li;
  }

  function renderTicker(reset) {
    var list = el("wall-ticker");
    if (!list) return;
    var shown = list.firstElementChild && list.firstElementChild.getAttribute("data-seq");
    var top = reset || !shown ? -Infinity : Number(shown);
    if (reset || !shown) list.textContent = "";
    // Newest first: insert rows the list does not show yet, then trim the oldest.
    var fresh = document.createDocumentFragment();
    for (var i = live.ticker.length - 1; i >= 0 && live.ticker[i].seq > top; i--) {
      fresh.appendChild(tickerItem(live.ticker[i]));
    }
    list.insertBefore(fresh, list.firstChild);
    while (list.children.length > TICKER_MAX) list.removeChild(list.lastChild);
    if (!list.children.length) list.appendChild(emptyItem(label("ticker.empty")));
    trimToFit(list);
  }

  function renderAlerts() {
    var list = el("wall-alerts");
    if (!list) { renderOverlay(); return; }
    list.textContent = "";
    live.alerts.forEach(function (a) {
      var when = fmt(new Date(a.raised_at), { hour: "2-digit", minute: "2-digit" });
      var place = live.names.places[a.township] || "";
      var li = document.createElement("li");
      li.className = "zs-alert zs-alert-" + a.level;
      li.textContent = "\u26a0 " + [when, place, a.title].filter(Boolean).join(" \u00b7 ");
      list.appendChild(drill.link(li, drill.caseHref(a.case_no)));
    });
    if (!list.children.length) list.appendChild(emptyItem(label("alerts.none")));
    trimToFit(list);
    renderOverlay();
  }

  // One row: the name, then figures in fixed columns (the panel's hint line names them); the last
  // figure (超期) turns red when it is not zero.
  function leagueRow(name, cells, bad, href) {
    var li = document.createElement("li");
    var a = document.createElement("span");
    a.className = "zs-league-name";
    a.textContent = name;
    li.appendChild(a);
    cells.forEach(function (text, i) {
      var c = document.createElement("span");
      c.className = "zs-cell" + (bad && i === cells.length - 1 ? " zs-league-bad" : "");
      c.textContent = text;
      li.appendChild(c);
    });
    return drill.link(li, href);
  }

  function pct(rate) { return rate === null || rate === undefined ? "\u2014" : Math.round(rate * 100) + "%"; }
  function hrs(h) { return h === null || h === undefined ? "\u2014" : h + label("league.hours"); }

  function renderLeagues() {
    var lg = live.leagues;
    var depts = el("wall-departments"), towns = el("wall-townships-ranking");
    if (!lg || !depts || !towns) return;
    var n = live.names;
    depts.textContent = "";
    lg.departments.forEach(function (d) {
      depts.appendChild(leagueRow(n.departments[d.department] || d.department, [
        hrs(d.sign_median_h), hrs(d.resolve_median_h), pct(d.on_time_rate), String(d.overdue)], d.overdue > 0,
        d.department && drill.list([["department", d.department], ["state", "open"]])));
    });
    towns.textContent = "";
    lg.townships.forEach(function (t) {
      towns.appendChild(leagueRow(n.places[t.township] || t.township, [
        String(t.registered), pct(t.success_rate), String(t.overdue)], t.overdue > 0,
        t.township && drill.list([["township", t.township], ["state", "open"]])));
    });
    [depts, towns].forEach(function (list) {
      if (!list.children.length) list.appendChild(emptyItem(label("league.none")));
      trimToFit(list);
    });
  }

  function renderWarnings() {
    var list = el("wall-warnings");
    if (!list) return;
    list.textContent = "";
    var n = live.names;
    (live.warnings || []).forEach(function (w) {
      var li = document.createElement("li");
      li.className = "zs-warn zs-warn-" + w.kind;
      li.setAttribute("data-case", w.case_no);
      var kind = document.createElement("span");
      kind.className = "zs-warn-kind";
      kind.textContent = label("warning." + w.kind);
      li.appendChild(kind);
      var parts = [n.places[w.township] || w.township || "", n.categories[w.category] || w.category || ""];
      if (w.due) parts.push(label("warning.due") + " " + fmt(new Date(w.due), { month: "2-digit", day: "2-digit",
                                                                                  hour: "2-digit", minute: "2-digit" }));
      li.appendChild(document.createTextNode(parts.filter(Boolean).join(" \u00b7 ")));
      list.appendChild(drill.link(li, drill.caseHref(w.case_no)));
    });
    if (!list.children.length) list.appendChild(emptyItem(label("warnings.none")));
    trimToFit(list);
  }

  // A list shows whole rows only: rows that would be cut at the bottom edge (of the list, or of `box`) are
  // left out, never the first `keep` (default 1).
  function trimToFit(list, box, keep) {
    var bottom = (box || list).getBoundingClientRect().bottom;
    while (list.children.length > (keep || 1)
           && list.lastElementChild.getBoundingClientRect().bottom > bottom + 0.5) {
      list.removeChild(list.lastElementChild);
    }
  }

  // The newest major or group incident raised within live.overlaySeconds takes over a band of the map.
  function renderOverlay() {
    var now = Date.now(), newest = null;
    live.alerts.forEach(function (a) {
      var at = Date.parse(a.raised_at);
      if (a.level !== "info" && now - at < live.overlaySeconds * 1000 && (!newest || at > newest.at)) {
        newest = { at: at, alert: a };
      }
    });
    var text = "";
    if (newest) {
      var a = newest.alert;
      text = "\u26a0 " + [label("alert.level." + a.level), live.names.places[a.township] || "", a.title,
        fmt(new Date(newest.at), { hour: "2-digit", minute: "2-digit" }) + " " + label("alert.raised")]
        .filter(Boolean).join(" \u00b7 ");
    }
    var href = newest && drill.on ? drill.caseHref(newest.alert.case_no) : null;
    var band = el("wall-alert-overlay");
    if (href && band) {
      // On the desk the band opens its case; redrawn only when its text or case changes (this runs each second).
      if (band.getAttribute("data-drawn") !== text + "\n" + href) {
        band.setAttribute("data-drawn", text + "\n" + href);
        var a = document.createElement("a");
        a.className = "zs-drill";
        a.href = href;
        a.textContent = text;
        band.textContent = "";
        band.appendChild(a);
      }
    } else {
      if (band && band.hasAttribute("data-drawn")) { band.removeAttribute("data-drawn"); band.textContent = ""; }
      setText("wall-alert-overlay", text);
    }
    setClass("wall-alert-overlay", newest ? "zs-overlay zs-overlay-" + newest.alert.level : "zs-overlay");
  }

  function render() {
    live.lastRender = Date.now();
    live.stats.renders += 1;
    var dirty = live.dirty;
    if (live.pinChanges.size) timed("pins", renderPins);
    if (dirty.counters) timed("counters", renderCounters);
    if (dirty.ticker) timed("ticker", function () { renderTicker(dirty.tickerReset); });
    if (dirty.alerts) timed("alerts", renderAlerts);
    if (dirty.warnings) timed("warnings", renderWarnings);
    if (dirty.leagues) timed("leagues", renderLeagues);
    if (dirty.trends && ns.trends) timed("trends", function () { ns.trends.render(live.trends); });
    live.dirty = {};
    renderFeed();
    var done = live.pendingDeltas;
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
    var age = last === null ? null : (Date.now() - last) / 1000;
    if (!live.socket || !live.socket.connected) {
      // The last good state stays up; past the stale time the warning says how old it is.
      text = label("status.offline");
      if (age !== null && age > live.staleSeconds) text += " · " + staleText(age);
      cls = "zs-dot zs-dot-bad";
    } else if (last === null) {
      text = label("status.waiting");
      cls = "zs-dot zs-dot-wait";
    } else {
      if (age > live.staleSeconds) {
        text = staleText(age);
        cls = "zs-dot zs-dot-bad";
      } else {
        text = label("status.updated") + " " + fmt(new Date(last),
          { hour: "2-digit", minute: "2-digit", second: "2-digit" });
        cls = "zs-dot zs-dot-ok";
        // The feed as a whole flows, but one publisher may have gone quiet: name it.
        var quiet = silentSources();
        if (quiet.length) {
          text = label("status.source_silent") + " " + quiet.map(function (q) {
            return q.source + " " + (q.age >= 60 ? Math.floor(q.age / 60) + " " + label("status.minutes")
                                                 : Math.floor(q.age) + " " + label("status.seconds"));
          }).join("\u3001");
          cls = "zs-dot zs-dot-bad";
        }
      }
    }
    setText("wall-feed-status", text);
    setClass("wall-feed-dot", cls);
    var box = el("wall-feed-status");
    if (box && box.parentNode) box.parentNode.classList.toggle("zs-feed-bad", cls === "zs-dot zs-dot-bad");
  }

  function staleText(age) {
    return age >= 60 ? label("status.stale") + " " + Math.floor(age / 60) + " " + label("status.minutes")
                     : label("status.stale") + " " + Math.floor(age) + " " + label("status.seconds");
  }

  // Publishers silent past what they promised (three heartbeat intervals, at least the wall's stale time).
  function silentSources() {
    var now = Date.now();
    return (live.sources || []).map(function (src) {
      var age = src.last_seen_at ? (now - Date.parse(src.last_seen_at)) / 1000 : 0;
      return { source: src.source, age: age, limit: Math.max(live.staleSeconds, 3 * (src.interval_s || 10)) };
    }).filter(function (q) { return q.age > q.limit; });
  }

  // The roster changes with the day: read it at start and again when the date turns (once a day).
  function loadDuty(day) {
    fetch("/api/duty", { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) goDark();
        return r.ok ? r.json() : null;
      })
      .then(function (duty) {
        if (!duty) return;
        var parts = [];
        if (duty.leader) parts.push(label("duty.leader") + " " + duty.leader);
        if (duty.officers && duty.officers.length) parts.push(label("duty.officers") + " " + duty.officers.join("\u3001"));
        setText("wall-duty", parts.join(" \u00b7 "));
        live.dutyDay = day;
      })
      .catch(function () { live.dutyDay = null; });
  }

  function tick() {
    var now = new Date();
    var date = fmt(now, { year: "numeric", month: "2-digit", day: "2-digit" });
    if (live.dutyDay !== date && !live.dutyLoading) {
      live.dutyLoading = true;
      loadDuty(date);
      setTimeout(function () { live.dutyLoading = false; }, 5000);
    }
    var weekday = label("weekday." + weekdayIndex(now));
    setText("wall-date", date + " " + weekday);
    setText("wall-time", fmt(now, { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
    renderFeed();
    renderOverlay();
  }

  function weekdayIndex(now) {
    // Monday = 0 in the display time zone, not the browser's.
    var name = new Intl.DateTimeFormat("en-US", { timeZone: live.tz, weekday: "short" }).format(now);
    return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(name);
  }

  // ---- start --------------------------------------------------------------------------------------
  function start(root) {
    document.body.classList.add("zs-kiosk");
    drill.start(root);
    live.lang = root.getAttribute("data-lang") || "zh-CN";
    live.tz = root.getAttribute("data-tz") || "Asia/Shanghai";
    live.staleSeconds = parseFloat(root.getAttribute("data-stale") || "30");
    live.overlaySeconds = parseFloat(root.getAttribute("data-overlay") || "300");
    try { live.labels = JSON.parse(root.getAttribute("data-labels") || "{}"); } catch (e) { live.labels = {}; }
    var socket = new ns.SocketClient({ auth: { view: "wall" } });
    live.socket = socket;
    socket.on("connect_error", function (why) {
      if (String(why).indexOf("unauthorized") >= 0) goDark();
    });
    socket.on("connect", function () { live.buffer = []; resync("connect"); renderFeed(); });
    socket.on("disconnect", function () { renderFeed(); });
    socket.on("delta", onDelta);
    socket.on("status", onStatus);
    socket.on("leagues", function (lg) { live.leagues = lg; live.dirty.leagues = true; scheduleRender(null); });
    socket.on("trends", function (tr) { live.trends = tr; live.dirty.trends = true; scheduleRender(null); });
    socket.connect();
    window.addEventListener("online", function () { socket.retryNow(); });
    tick();
    live.clock = setInterval(tick, 1000);
  }

  live.onApplied = function (fn) { live.listeners.push(fn); };

  function waitForWall() {
    if (!/^\/wall\/?$/.test(window.location.pathname)) return;
    var root = document.getElementById("wall-root");
    if (root) {
      start(root);
      return;
    }
    setTimeout(waitForWall, 50);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", waitForWall);
  else waitForWall();
})();
