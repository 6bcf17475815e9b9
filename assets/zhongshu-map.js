/* zhongshu: how pins and clusters are drawn on the wall's map (referenced from dash-leaflet props). */
(function () {
  "use strict";
  var ns = (window.zhongshu = window.zhongshu || {});
  var RANK = { normal: 0, warning: 1, overdue: 2, major: 3 };

  function pointToLayer(feature, latlng) {
    var p = feature.properties || {};
    var risk = p.risk || "normal";
    var marker = L.circleMarker(latlng, {
      radius: risk === "major" ? 9 : 6,
      weight: 1.5,
      className: "zs-pin zs-risk-" + risk + (p.fresh ? " zs-pin-new" : ""),
      pane: risk === "major" ? "markerPane" : "overlayPane",
    });
    marker.on("add", function () {
      var el = marker.getElement();
      if (el) el.setAttribute("data-case", p.case_no || "");
    });
    return marker;
  }

  function clusterToLayer(feature, latlng, index) {
    var count = feature.properties.point_count;
    var worst = "normal";
    var leaves = index.getLeaves(feature.properties.cluster_id, Infinity);
    for (var i = 0; i < leaves.length; i++) {
      var r = (leaves[i].properties || {}).risk || "normal";
      if (RANK[r] > RANK[worst]) worst = r;
    }
    var size = count < 10 ? 30 : count < 100 ? 38 : 46;
    var icon = L.divIcon({
      html: "<span>" + String(Number(count)) + "</span>",
      className: "zs-cluster zs-risk-" + worst,
      iconSize: L.point(size, size),
    });
    return L.marker(latlng, { icon: icon });
  }

  ns.map = { pointToLayer: pointToLayer, clusterToLayer: clusterToLayer };
})();
