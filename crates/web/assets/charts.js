// Charts (Chart.js) from data attributes: data-kind (line|bar), data-label, data-labels, data-values.
(function () {
  "use strict";
  document.querySelectorAll("canvas.chart").forEach(function (c) {
    var labels = JSON.parse(c.getAttribute("data-labels") || "[]");
    var values = JSON.parse(c.getAttribute("data-values") || "[]");
    // Several series (data-series: [{label, values}]) get a palette and a legend.
    var series = JSON.parse(c.getAttribute("data-series") || "null");
    var palette = ["#0b3d5c", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#0969da", "#57606a",
                   "#e16f24", "#1b7c83", "#a40e26", "#6e7781", "#116329"];
    var datasets = series ? series.map(function (s, i) {
      var col = palette[i % palette.length];
      return { label: s.label, data: s.values, borderColor: col, backgroundColor: col, borderWidth: 1.5,
               pointRadius: 1.5, tension: 0.2, spanGaps: true };
    }) : [{ label: c.getAttribute("data-label") || "", data: values,
              backgroundColor: "rgba(19,94,140,0.55)", borderColor: "#0b3d5c", borderWidth: 1.5, tension: 0.2 }];
    new Chart(c, {
      type: c.getAttribute("data-kind") || "line",
      data: { labels: labels, datasets: datasets },
      options: { locale: "pt-BR", animation: false, responsive: true, maintainAspectRatio: false,
                 plugins: { legend: { display: !!series, position: "bottom" } },
                 scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return Number(v).toLocaleString("pt-BR"); } } } } }
    });
  });
})();
