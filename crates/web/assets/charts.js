// Charts (Chart.js) from data attributes: data-kind (line|bar), data-label, data-labels, data-values.
(function () {
  "use strict";
  document.querySelectorAll("canvas.chart").forEach(function (c) {
    var labels = JSON.parse(c.getAttribute("data-labels") || "[]");
    var values = JSON.parse(c.getAttribute("data-values") || "[]");
    new Chart(c, {
      type: c.getAttribute("data-kind") || "line",
      data: { labels: labels, datasets: [{ label: c.getAttribute("data-label") || "", data: values,
              backgroundColor: "rgba(19,94,140,0.55)", borderColor: "#0b3d5c", borderWidth: 1.5, tension: 0.2 }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 plugins: { legend: { display: false } },
                 scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return Number(v).toLocaleString("pt-BR"); } } } } }
    });
  });
})();
