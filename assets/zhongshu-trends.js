/* zhongshu: the wall's left column. Cases by hour (today vs. yesterday) and the 30-day trend are Plotly
 * charts inside dcc.Graph: each push replaces the figure through Dash's set_props, and dcc.Graph applies
 * it with Plotly.react, which updates the chart in place (no new plot, no flicker). Category and source
 * mix are rows with proportional bars drawn into lists this script owns. The data arrives with the
 * snapshot and by push ("trends", recomputed by the ingest on a timer); nothing here polls.
 * On the desk's copy of the wall (zhongshu.drill.on) each mix row opens its category's or channel's cases at
 * the desk, and each chart the days it shows.
 */
(function () {
  "use strict";
  var ns = (window.zhongshu = window.zhongshu || {});
  var COLORS = { today: "#4fa3ff", yesterday: "#9fb6d6", registered: "#4fa3ff", resolved: "#3ddc97",
                 grid: "rgba(159, 182, 214, 0.15)", text: "#e8f1ff", muted: "#9fb6d6" };

  function label(key) { return ns.ui.label(key); }

  // Text no smaller than 1/60 of the screen height, as on the rest of the wall.
  function fontSize() { return Math.max(12, Math.round(window.innerHeight / 60)); }

  function baseLayout() {
    var size = fontSize();
    return {
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: COLORS.muted, size: size, family: getComputedStyle(document.body).fontFamily },
      margin: { l: size * 2.6, r: size * 0.6, t: size * 1.6, b: size * 1.7 },
      showlegend: true,
      legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom", bgcolor: "rgba(0,0,0,0)",
                font: { color: COLORS.text, size: size } },
      xaxis: { gridcolor: COLORS.grid, zeroline: false, fixedrange: true, tickfont: { size: size } },
      yaxis: { gridcolor: COLORS.grid, zeroline: false, fixedrange: true, rangemode: "tozero", nticks: 4,
               tickfont: { size: size } },
      bargap: 0.25,
      transition: { duration: 0 },
    };
  }

  function hoursFigure(hours, nowHour) {
    var x = [];
    for (var h = 0; h < 24; h++) x.push(h);
    var layout = baseLayout();
    layout.xaxis.tickvals = [0, 6, 12, 18, 23];
    layout.xaxis.ticktext = ["0", "6", "12", "18", "23"].map(function (s) { return s + label("trend.hour"); });
    layout.xaxis.range = [-0.6, 23.6];
    return {
      data: [
        { type: "bar", name: label("trend.today"), x: x.slice(0, nowHour + 1),
          y: hours.today.slice(0, nowHour + 1), marker: { color: COLORS.today } },
        { type: "scatter", mode: "lines", name: label("trend.yesterday"), x: x, y: hours.yesterday,
          line: { color: COLORS.yesterday, width: Math.max(2, fontSize() / 8), dash: "dot", shape: "spline" } },
      ],
      layout: layout,
    };
  }

  function daysFigure(days) {
    var x = days.days.map(function (d) { return d.slice(5); }); // MM-DD
    var layout = baseLayout();
    layout.xaxis.nticks = 6;
    layout.xaxis.type = "category";
    var width = Math.max(2, fontSize() / 8);
    return {
      data: [
        { type: "scatter", mode: "lines", name: label("trend.registered"), x: x, y: days.registered,
          line: { color: COLORS.registered, width: width }, fill: "tozeroy", fillcolor: "rgba(79, 163, 255, 0.15)" },
        { type: "scatter", mode: "lines", name: label("trend.resolved"), x: x, y: days.resolved,
          line: { color: COLORS.resolved, width: width } },
      ],
      layout: layout,
    };
  }

  function setFigure(id, figure) {
    var dc = window.dash_clientside;
    if (dc && dc.set_props && document.getElementById(id)) dc.set_props(id, { figure: figure });
  }

  function pct(rate) { return ns.ui.pct(rate); }

  // One row: name, a bar as long as its share of the largest, then figures in fixed columns.
  function mixRow(name, share, cells, cls, href) {
    var li = document.createElement("li");
    li.className = "zs-mix-row" + (cls ? " " + cls : "");
    var a = document.createElement("span");
    a.className = "zs-mix-name";
    a.textContent = name;
    li.appendChild(a);
    var track = document.createElement("span");
    track.className = "zs-mix-track";
    var bar = document.createElement("span");
    bar.className = "zs-mix-bar";
    bar.style.width = Math.round(Math.max(0, Math.min(1, share)) * 100) + "%";
    track.appendChild(bar);
    li.appendChild(track);
    cells.forEach(function (text) {
      var c = document.createElement("span");
      c.className = "zs-cell";
      c.textContent = text;
      li.appendChild(c);
    });
    return ns.drill ? ns.drill.link(li, href) : li;
  }

  function deskList(params) { return ns.drill && ns.drill.on ? ns.drill.list(params) : null; }

  function fill(list, rows) {
    list.textContent = "";
    rows.forEach(function (row) { list.appendChild(row); });
    if (!rows.length) {
      var li = document.createElement("li");
      li.className = "zs-empty";
      li.textContent = label("league.none");
      list.appendChild(li);
    }
    ns.ui.trimToFit(list); // whole rows only
  }

  function renderMixes(tr) {
    var names = (ns.live && ns.live.names.categories) || {};
    // The mixes count this month's cases: their desk lists are this month's too, so the list matches the figure.
    var days = (tr.days && tr.days.days) || [];
    var today = days.length ? String(days[days.length - 1]) : null;
    var month = today ? [["since", today.slice(0, 8) + "01"], ["until", today]] : [];
    var cats = document.getElementById("wall-category-mix");
    if (cats) {
      var top = tr.categories.length ? tr.categories[0].registered : 0;
      fill(cats, tr.categories.map(function (c) {
        return mixRow(names[c.category] || c.category, top ? c.registered / top : 0,
                      [String(c.registered), pct(c.success_rate)],
                      c.success_rate !== null && c.success_rate < 0.8 ? "zs-mix-low" : "",
                      c.category && deskList([["category", c.category]].concat(month)));
      }));
    }
    var sources = document.getElementById("wall-source-mix");
    if (sources) {
      var total = tr.sources.reduce(function (s, r) { return s + r.registered; }, 0);
      var most = tr.sources.length ? tr.sources[0].registered : 0;
      fill(sources, tr.sources.map(function (s) {
        return mixRow(label("source." + s.channel), most ? s.registered / most : 0,
                      [String(s.registered), total ? Math.round(100 * s.registered / total) + "%" : "\u2014"], "",
                      s.channel && deskList([["source", s.channel]].concat(month)));
      }));
    }
  }

  var trends = {
    last: null,
    rendered: 0,
    render: function (tr) {
      if (!tr) return;
      trends.last = tr;
      trends.rendered += 1;
      var nowHour = parseInt(new Intl.DateTimeFormat("en-GB", { timeZone: (ns.live && ns.live.tz) || "Asia/Shanghai",
                                                                 hour: "2-digit", hour12: false })
                             .format(new Date(tr.at)), 10) % 24;
      setFigure("wall-hours-chart", hoursFigure(tr.hours, nowHour));
      setFigure("wall-days-chart", daysFigure(tr.days));
      renderMixes(tr);
      var days = tr.days.days;
      if (ns.drill && ns.drill.on && days.length) {
        var today = days[days.length - 1];
        ns.drill.point("wall-hours-link", ns.drill.list([["since", today], ["until", today]]));
        ns.drill.point("wall-days-link", ns.drill.list([["since", days[0]], ["until", today]]));
      }
    },
  };
  ns.trends = trends;

  // Font sizes follow the screen: draw again at the new size when the wall's window changes.
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (trends.last) trends.render(trends.last); }, 100);
  });
})();
