/* zhongshu: cell renderers for the desk's grid, found by dash-ag-grid under these names (no code in strings,
 * so the page's CSP needs no eval). Values are rendered as text by React. */
(function () {
  "use strict";
  var funcs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

  function langSuffix() {
    return /(^|[?&])lang=en(&|$)/.test(window.location.search) ? "?lang=en" : "";
  }

  // The case number as a link to its page.
  funcs.CaseLink = function (props) {
    if (props.value === undefined || props.value === null) return null;
    var no = String(props.value);
    return React.createElement("a", { href: "/desk/case/" + encodeURIComponent(no) + langSuffix(),
      className: "zs-case-link" }, no);
  };

  // Time left to the resolve deadline, or past it, coloured by how it stands.
  funcs.DueBadge = function (props) {
    var risk = (props.data && props.data.risk) || "none";
    return React.createElement("span", { className: "zs-due zs-due-" + risk }, props.value || "");
  };
})();
