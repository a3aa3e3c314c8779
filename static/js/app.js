// Small progressive enhancements. Charts read their data from <script type="application/json">.
(function () {
  function renderCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.rendered) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      var config = JSON.parse(source.textContent);
      if (config.linkField) {
        config.options = config.options || {};
        config.options.onClick = function (evt, elements) {
          if (!elements.length) return;
          var el = elements[0];
          var point = config.data.datasets[el.datasetIndex].data[el.index];
          if (point && point[config.linkField]) window.location = point[config.linkField];
        };
      }
      new window.Chart(canvas, config);
      canvas.dataset.rendered = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { renderCharts(e.target); });
  window.cspRenderCharts = renderCharts;
})();
