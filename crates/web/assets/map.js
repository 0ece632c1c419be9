// Maps of areas from our own GeoJSON (no tile service needed). Reads data-geojson and data-tiles from
// each .map element. No inline script: the page's CSP allows only files from /static.
(function () {
  "use strict";
  function draw(el) {
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
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
      })
      .catch(function (e) {
        el.setAttribute("data-error", String(e));
        el.textContent = "Não foi possível carregar o mapa (" + e.message + ").";
      });
  }
  document.querySelectorAll(".map[data-geojson]").forEach(draw);
})();
