// Maps of areas from our own GeoJSON (no tile service needed). Reads data-geojson and data-tiles from
// each .map element. No inline script: the page's CSP allows only files from /static.
// Every map has a scale bar; the areas carry their names (up to MAX_LABELS of them, beyond which
// names would cover the map); a choropleth's FeatureCollection may bring its legend ("legend":
// [[colour, text], …]), drawn on the map.
(function () {
  "use strict";
  var MAX_LABELS = 40;
  function legend(map, entries) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "map-key");
      entries.forEach(function (e) {
        var row = L.DomUtil.create("div", "legend-item", box);
        var swatch = L.DomUtil.create("span", "swatch", row);
        swatch.style.background = e[0];
        row.appendChild(document.createTextNode(e[1]));
      });
      return box;
    };
    control.addTo(map);
  }
  // Each area's name at its centre; where names would overlap, the larger area's wins, again at each
  // zoom (zooming in shows the names hidden before).
  function labels(map, layer) {
    var placed = [];
    layer.eachLayer(function (l) {
      var p = l.feature.properties || {};
      if (!p.name || !l.getBounds) { return; }
      var b = l.getBounds();
      var t = L.tooltip({ permanent: true, direction: "center", className: "map-label", interactive: false })
        .setLatLng(b.getCenter()).setContent(p.name).addTo(map);
      var span = Math.abs(b.getNorth() - b.getSouth()) * Math.abs(b.getEast() - b.getWest());
      placed.push({ tooltip: t, span: span });
    });
    placed.sort(function (a, b) { return b.span - a.span; });
    function declutter() {
      var kept = [];
      placed.forEach(function (p) {
        var el = p.tooltip.getElement();
        if (!el) { return; }
        el.style.visibility = "visible";
        var r = el.getBoundingClientRect();
        var clash = kept.some(function (k) {
          return r.left < k.right && k.left < r.right && r.top < k.bottom && k.top < r.bottom;
        });
        if (clash) { el.style.visibility = "hidden"; } else { kept.push(r); }
      });
    }
    map.on("zoomend moveend", declutter);
    declutter();
  }
  function draw(el) {
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
    L.control.scale({ imperial: false }).addTo(map);
    var tiles = el.getAttribute("data-tiles");
    if (tiles) { L.tileLayer(tiles, { maxZoom: 18 }).addTo(map); }
    // Context without a tile service: the municipalities' boundaries, light and not clickable.
    var base = el.getAttribute("data-base");
    if (base && !tiles) {
      fetch(base, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (fc) {
          if (!fc) { return; }
          var layer = L.geoJSON(fc, { interactive: false,
            style: { color: "#9aa7b4", weight: 0.6, fillColor: "#ffffff", fillOpacity: 0.5 } }).addTo(map);
          layer.bringToBack();
        });
    }
    fetch(el.getAttribute("data-geojson"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (fc) {
        var layer = L.geoJSON(fc, {
          style: function (f) {
            // A choropleth feature brings its own colour.
            if (f.properties && f.properties.fill) {
              return { color: "#24292f", weight: 1, fillOpacity: 0.75, fillColor: f.properties.fill };
            }
            var synthetic = f.properties && f.properties.synthetic;
            return { color: synthetic ? "#8a6d00" : "#0b3d5c", weight: 1.5, fillOpacity: 0.18,
                     fillColor: synthetic ? "#f0b429" : "#135e8c", dashArray: synthetic ? "4 3" : null };
          },
          onEachFeature: function (f, l) {
            var p = f.properties || {};
            var a = document.createElement("a");
            a.href = "/territorios/" + encodeURIComponent(p.code);
            a.textContent = p.label || (p.code + " — " + p.name + (p.synthetic ? " (sintético)" : ""));
            l.bindTooltip(a.textContent, { sticky: true });
            l.bindPopup(a);
          }
        }).addTo(map);
        el.setAttribute("data-features", String(fc.features.length));
        if (fc.features.length) { map.fitBounds(layer.getBounds(), { padding: [8, 8] }); }
        else { map.setView([-16.0, -49.5], 6); }
        if (fc.features.length <= MAX_LABELS) { labels(map, layer); }
        if (Array.isArray(fc.legend) && fc.legend.length) { legend(map, fc.legend); }
      })
      .catch(function (e) {
        el.setAttribute("data-error", String(e));
        el.textContent = "Não foi possível carregar o mapa (" + e.message + ").";
      });
  }
  document.querySelectorAll(".map[data-geojson]").forEach(draw);
})();
