// Small progressive enhancements. Charts read their data from <script type="application/json">.
// Config extras understood here (ignored by Chart.js itself):
//   linkField: a point property holding a URL; clicking the point opens it.
//   labelField: a point property shown as the tooltip title (e.g. the account name).
//   notes: one string per x position, shown under the tooltip (e.g. a ledger entry's reason).
//   quadrantLabels: {topLeft, topRight, bottomLeft, bottomRight} drawn in a scatter's corners;
//   quadrantOrigin: {x, y} where the quadrant lines cross (default 0, 0).
//   compactTicks: the axes (e.g. ["x"]) whose tick labels read 10M rather than 10,000,000.
(function () {
  var quadrantPlugin = {
    id: "cspQuadrants",
    beforeDraw: function (chart, args, opts) {
      var labels = opts && opts.labels;
      if (!labels) return;
      var ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x, y = chart.scales.y;
      var origin = opts.origin || { x: 0, y: 0 };
      var cx = x.getPixelForValue(origin.x), cy = y.getPixelForValue(origin.y);
      ctx.save();
      ctx.strokeStyle = "#cdd3dc";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(cx, area.top); ctx.lineTo(cx, area.bottom);
      ctx.moveTo(area.left, cy); ctx.lineTo(area.right, cy);
      ctx.stroke();
      ctx.fillStyle = "#667085";
      ctx.font = "600 12px system-ui, sans-serif";
      var pad = 8, lineHeight = 14;
      // Two labels share a side: each gets half of it, wrapped onto more lines when narrow.
      var room = (area.right - area.left - 3 * pad) / 2;
      function lines(text) {
        var out = [], line = "";
        String(text).split(" ").forEach(function (word) {
          var next = line ? line + " " + word : word;
          if (line && ctx.measureText(next).width > room) { out.push(line); line = word; }
          else line = next;
        });
        if (line) out.push(line);
        return out;
      }
      function draw(text, x, y, align, down) {
        var rows = lines(text);
        ctx.textAlign = align;
        rows.forEach(function (row, i) {
          var offset = down ? i : i - rows.length + 1;
          ctx.fillText(row, x, y + offset * lineHeight);
        });
      }
      ctx.textBaseline = "top";
      draw(labels.topLeft, area.left + pad, area.top + pad, "left", true);
      draw(labels.topRight, area.right - pad, area.top + pad, "right", true);
      ctx.textBaseline = "bottom";
      draw(labels.bottomLeft, area.left + pad, area.bottom - pad, "left", false);
      draw(labels.bottomRight, area.right - pad, area.bottom - pad, "right", false);
      ctx.restore();
    }
  };

  function prepare(config) {
    config.options = config.options || {};
    config.options.plugins = config.options.plugins || {};
    var tooltip = (config.options.plugins.tooltip = config.options.plugins.tooltip || {});
    tooltip.callbacks = tooltip.callbacks || {};
    if (config.linkField) {
      config.options.onClick = function (evt, elements) {
        if (!elements.length) return;
        var el = elements[0];
        var point = config.data.datasets[el.datasetIndex].data[el.index];
        if (point && point[config.linkField]) window.location = point[config.linkField];
      };
      config.options.onHover = function (evt, elements) {
        evt.native.target.style.cursor = elements.length ? "pointer" : "default";
      };
    }
    if (config.labelField) {
      tooltip.callbacks.title = function (items) {
        if (!items.length) return "";
        var item = items[0];
        return item.raw && item.raw[config.labelField];
      };
    }
    if (config.notes) {
      tooltip.callbacks.afterBody = function (items) {
        return items.length ? config.notes[items[0].dataIndex] : "";
      };
    }
    if (config.compactTicks) {
      var compact = new Intl.NumberFormat(document.documentElement.lang || undefined, {
        notation: "compact", maximumFractionDigits: 1
      });
      var scales = (config.options.scales = config.options.scales || {});
      config.compactTicks.forEach(function (axis) {
        var scale = (scales[axis] = scales[axis] || {});
        scale.ticks = scale.ticks || {};
        scale.ticks.callback = function (value) { return compact.format(value); };
      });
    }
    if (config.quadrantLabels) {
      config.options.plugins.cspQuadrants = {
        labels: config.quadrantLabels,
        origin: config.quadrantOrigin
      };
      config.plugins = [quadrantPlugin];
    }
    return config;
  }

  function renderCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.rendered) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      new window.Chart(canvas, prepare(JSON.parse(source.textContent)));
      canvas.dataset.rendered = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { renderCharts(e.target); });
  window.cspRenderCharts = renderCharts;
  // <form data-confirm="Question?">: ask before submitting (no inline handlers under the CSP).
  document.addEventListener("submit", function (e) {
    var question = e.target.dataset && e.target.dataset.confirm;
    if (question && !window.confirm(question)) e.preventDefault();
  });
})();

// Scorecard editor: each measure row shows only the settings its kind uses (the kinds come
// from scorecards/kinds.py as data-kinds on each setting); hidden settings are disabled so they
// are not sent.
(function () {
  function syncRow(select) {
    var row = select.closest("tr");
    if (!row) return;
    row.querySelectorAll("[data-kinds]").forEach(function (el) {
      var used = el.getAttribute("data-kinds").split(" ").indexOf(select.value) !== -1;
      el.hidden = !used;
      el.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !used;
      });
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-measure-kind]")) syncRow(e.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-measure-kind]").forEach(syncRow);
  });
})();

// Buttons with data-confirm ask before they submit (e.g. publishing a scorecard version).
document.addEventListener("click", function (e) {
  var button = e.target.closest && e.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) e.preventDefault();
});

// CTA list: a "select all" checkbox ticks every row's box, and the action bar says how many
// are ticked (the bulk form works without this too).
(function () {
  function sync(form) {
    var boxes = form.querySelectorAll("input[name=ids]");
    var ticked = form.querySelectorAll("input[name=ids]:checked").length;
    var all = form.querySelector("input[data-check-all]");
    if (all) {
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    var count = form.querySelector("[data-ticked-count]");
    if (count) count.textContent = ticked ? ticked + " selected" : "None selected";
  }
  document.addEventListener("change", function (e) {
    var form = e.target.closest && e.target.closest("form[data-bulk]");
    if (!form) return;
    if (e.target.matches("input[data-check-all]")) {
      form.querySelectorAll("input[name=ids]").forEach(function (box) {
        box.checked = e.target.checked;
      });
    }
    sync(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-bulk]").forEach(sync);
  });
})();
