// integrationhub front-end glue. No inline scripts anywhere (the CSP forbids them): pages declare
// behaviour with data attributes and this file wires it up, also after htmx swaps.
(function () {
  "use strict";

  function renderCharts(root) {
    if (typeof window.Plotly === "undefined") return;
    root.querySelectorAll("[data-plotly-figure]").forEach(function (el) {
      if (el.dataset.rendered) return;
      var source = document.getElementById(el.dataset.plotlyFigure);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout || {}, {
        responsive: true,
        displaylogo: false,
      });
      el.dataset.rendered = "1";
      if (el.on) {
        el.on("plotly_click", function (data) {
          var p = data.points && data.points[0];
          var url = p && p.customdata && (Array.isArray(p.customdata) ? p.customdata[0] : p.customdata);
          if (url && typeof url === "string" && url.charAt(0) === "/") window.location = url;
        });
      }
    });
  }

  function wireConfirm(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (form.dataset.confirmWired) return;
      form.dataset.confirmWired = "1";
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  function wireSelectAll(root) {
    root.querySelectorAll("input[data-select-all]").forEach(function (box) {
      if (box.dataset.wired) return;
      box.dataset.wired = "1";
      box.addEventListener("change", function () {
        document.querySelectorAll("input[name='" + box.dataset.selectAll + "']").forEach(function (c) {
          c.checked = box.checked;
        });
      });
    });
  }

  function init(root) {
    renderCharts(root);
    wireConfirm(root);
    wireSelectAll(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
})();
