// The evaluation chart (/avaliacao): monthly counts of the target, its ring and the control from the
// canvas's data attributes (data-labels, data-series: [{label, values}], data-start: the index of the
// start's month), with a dashed vertical line where the plan starts. No inline script (CSP).
(function () {
  "use strict";
  var c = document.getElementById("grafico-avaliacao");
  if (!c || typeof Chart === "undefined") { return; }
  var labels = JSON.parse(c.getAttribute("data-labels") || "[]");
  var series = JSON.parse(c.getAttribute("data-series") || "[]");
  var start = Number(c.getAttribute("data-start") || "0");
  var palette = ["#cf222e", "#bf8700", "#0b3d5c", "#57606a"];
  var startLine = {
    id: "inicio",
    afterDatasetsDraw: function (chart) {
      var x = chart.scales.x.getPixelForValue(start);
      var area = chart.chartArea;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#1f2328";
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(x, area.top);
      ctx.lineTo(x, area.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#1f2328";
      ctx.font = "12px sans-serif";
      ctx.fillText("início do plano", x + 4, area.top + 12);
      ctx.restore();
    }
  };
  new Chart(c, {
    type: "line",
    data: {
      labels: labels,
      datasets: series.map(function (s, i) {
        var col = palette[i % palette.length];
        return { label: s.label, data: s.values, borderColor: col, backgroundColor: col,
                 borderWidth: 2, pointRadius: 2.5, tension: 0 };
      })
    },
    options: { locale: "pt-BR", animation: false, responsive: true, maintainAspectRatio: false,
               plugins: { legend: { display: true, position: "bottom" } },
               scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    plugins: [startLine]
  });
})();
