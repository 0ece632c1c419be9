// The hot-spot map (igesp.md §3): cells coloured by Gi* class (the whole period, or one month with the
// slider), by emerging class, or by kernel density; a click shows the cell's monthly series and, for
// analysts, picks it for a new intervention area. No inline script: the page's CSP allows only /static.
(function () {
  "use strict";
  var el = document.querySelector(".hotmap[data-geojson]");
  if (!el) { return; }
  var CLASS = {
    hot_99: ["#b2182b", "quente (99 %)"], hot_95: ["#ef8a62", "quente (95 %)"],
    hot_90: ["#fddbc7", "quente (90 %)"], not_significant: [null, "não significativa"],
    cold_90: ["#d1e5f0", "fria (90 %)"], cold_95: ["#67a9cf", "fria (95 %)"],
    cold_99: ["#2166ac", "fria (99 %)"]
  };
  var EMERGING = {
    new: "#fdae61", consecutive: "#f46d43", intensifying: "#a50026", persistent: "#d73027",
    diminishing: "#fee090", sporadic: "#e7b9a0", oscillating: "#9e7bb5", historical: "#bdbdbd"
  };
  var EMERGING_COLD = {
    new: "#abd9e9", consecutive: "#74add1", intensifying: "#313695", persistent: "#4575b4",
    diminishing: "#e0f3f8", sporadic: "#a6bddb", oscillating: "#9e7bb5", historical: "#d9d9d9"
  };
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
    L.control.scale({ imperial: false }).addTo(map);
  var layerSel = document.getElementById("camada");
  var slider = document.getElementById("mes");
  var sliderLabel = document.getElementById("mes-rotulo");
  var legend = document.getElementById("legenda");
  var chosenInput = document.getElementById("celulas");
  var chosenOut = document.getElementById("escolhidas");
  var chosen = {};
  var fc = null, layer = null, maxDensity = 0, steps = 0;

  var base = el.getAttribute("data-base");
  if (base) {
    fetch(base, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) {
        if (!b) { return; }
        L.geoJSON(b, { interactive: false,
          style: { color: "#9aa7b4", weight: 0.6, fillColor: "#ffffff", fillOpacity: 0.5 } })
          .addTo(map).bringToBack();
      });
  }

  function month() { return Number(slider.value) - 1; } // −1: the whole period
  function mode() { return layerSel ? layerSel.value : "classe"; }

  function classOf(p) {
    var t = month();
    if (t >= 0 && p.class_series && p.class_series.length > t) { return p.class_series[t]; }
    return p.class;
  }

  function fillOf(p) {
    if (mode() === "densidade") {
      if (!maxDensity || !p.density) { return null; }
      var v = Math.sqrt(p.density / maxDensity); // square root: the faint tail stays visible
      var r = 255, g = Math.round(245 - 180 * v), b = Math.round(220 - 200 * v);
      return "rgb(" + r + "," + g + "," + b + ")";
    }
    if (mode() === "emergente") {
      if (!p.emerging || p.emerging === "no_pattern") { return null; }
      var parts = p.emerging.split("_");
      var table = parts[1] === "cold" ? EMERGING_COLD : EMERGING;
      return table[parts[0]] || null;
    }
    return CLASS[classOf(p)] ? CLASS[classOf(p)][0] : null;
  }

  function style(f) {
    var p = f.properties, fill = fillOf(p), picked = chosen[p.id];
    return {
      className: "cell cell-" + String(p.id).replace(/[^A-Za-z0-9]/g, "-"),
      color: picked ? "#111111" : "#8c96a0", weight: picked ? 2.5 : 0.3,
      fillColor: fill || "#ffffff", fillOpacity: fill ? 0.78 : 0.05
    };
  }

  // Built with the DOM and CSSOM: the CSP refuses inline style attributes.
  function swatch(colour, text, css) {
    var item = document.createElement("span");
    item.className = "legend-item";
    var sw = document.createElement("span");
    sw.className = css || "swatch";
    if (colour) { sw.style.background = colour; }
    item.appendChild(sw);
    item.appendChild(document.createTextNode(" " + text + " "));
    return item;
  }

  function drawLegend() {
    if (!legend) { return; }
    legend.textContent = "";
    if (mode() === "densidade") {
      legend.appendChild(swatch(null, "densidade kernel, de baixa a alta (máx. " +
        maxDensity.toFixed(1).replace(".", ",") + " ocorrências/km²)", "ramp"));
    } else if (mode() === "emergente") {
      var seen = {};
      fc.features.forEach(function (f) {
        var e = f.properties.emerging;
        if (e && e !== "no_pattern") { seen[e] = f.properties.emerging_label; }
      });
      var keys = Object.keys(seen).sort();
      keys.forEach(function (e) {
        var parts = e.split("_");
        legend.appendChild(swatch((parts[1] === "cold" ? EMERGING_COLD : EMERGING)[parts[0]], seen[e]));
      });
      if (!keys.length) { legend.textContent = "nenhuma célula com padrão emergente"; }
    } else {
      ["hot_99", "hot_95", "hot_90", "cold_90", "cold_95", "cold_99"].forEach(function (k) {
        legend.appendChild(swatch(CLASS[k][0], CLASS[k][1]));
      });
    }
  }

  function refresh() {
    var t = month();
    var labels = (fc.properties && fc.properties.month_labels) || [];
    sliderLabel.textContent = t < 0 ? "todo o período" : (labels[t] || "");
    slider.disabled = mode() !== "classe" || steps < 2;
    layer.setStyle(style);
    drawLegend();
  }

  function updateChosen() {
    var ids = Object.keys(chosen);
    if (chosenInput) { chosenInput.value = ids.join(";"); }
    if (chosenOut) {
      chosenOut.textContent = ids.length ? ids.length + " célula(s) escolhida(s): " + ids.join("; ")
        : "Nenhuma célula escolhida.";
    }
  }

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function popup(f, l) {
    var p = f.properties, labels = (fc.properties && fc.properties.month_labels) || [];
    var rows = (p.series || []).map(function (n, t) {
      var cls = p.class_series && p.class_series[t] ? CLASS[p.class_series[t]][1] : "";
      return "<tr><td>" + esc(labels[t] || t) + '</td><td class="num">' + n + "</td><td>" + esc(cls) + "</td></tr>";
    }).join("");
    var box = document.createElement("div");
    box.className = "cell-popup";
    box.innerHTML = "<strong>Célula " + esc(p.id) + "</strong><br>" + esc(p.class_label) +
      " · z = " + p.z.toFixed(2).replace(".", ",") + " · p ajustado = " + p.p_fdr.toFixed(4).replace(".", ",") +
      "<br>Emergente: " + esc(p.emerging_label || "—") + " · ocorrências: " + p.count +
      '<table class="series"><thead><tr><th>Mês</th><th>Ocorr.</th><th>Classe no mês</th></tr></thead><tbody>' +
      rows + "</tbody></table>";
    if (chosenInput) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = chosen[p.id] ? "Remover da área de intervenção" : "Escolher para a área de intervenção";
      b.addEventListener("click", function () {
        if (chosen[p.id]) { delete chosen[p.id]; } else { chosen[p.id] = true; }
        updateChosen();
        layer.setStyle(style);
        map.closePopup();
      });
      box.appendChild(b);
    }
    return box;
  }

  fetch(el.getAttribute("data-geojson"), { credentials: "same-origin" })
    .then(function (r) {
      if (!r.ok) { return r.text().then(function (t) { throw new Error("HTTP " + r.status); }); }
      return r.json();
    })
    .then(function (data) {
      fc = data;
      steps = ((fc.properties && fc.properties.months) || []).length;
      fc.features.forEach(function (f) { maxDensity = Math.max(maxDensity, f.properties.density || 0); });
      slider.max = String(steps >= 2 ? steps : 0);
      slider.value = "0";
      layer = L.geoJSON(fc, {
        style: style,
        onEachFeature: function (f, l) {
          l.bindTooltip(function () {
            var p = f.properties;
            return esc(p.id) + ": " + esc(p.class_label) + (p.emerging_label ? " · " + esc(p.emerging_label) : "");
          }, { sticky: true });
          l.bindPopup(function () { return popup(f, l); });
        }
      }).addTo(map);
      el.setAttribute("data-features", String(fc.features.length));
      el.setAttribute("data-hot", String(fc.features.filter(function (f) {
        return f.properties.class.indexOf("hot_") === 0; }).length));
      if (fc.features.length) { map.fitBounds(layer.getBounds(), { padding: [8, 8] }); }
      else { map.setView([-16.0, -49.5], 6); }
      // Slider position 0 is the whole period; 1..steps are the months.
      slider.addEventListener("input", function () {
        refresh();
      });
      if (layerSel) { layerSel.addEventListener("change", refresh); }
      refresh();
      el.setAttribute("data-ready", "1");
    })
    .catch(function (e) {
      el.setAttribute("data-error", String(e));
      el.textContent = "Não foi possível carregar o mapa (" + e.message + ").";
    });
})();
