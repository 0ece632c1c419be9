// The progress of an import job: asks the server twice a second and moves the bar; at the end, goes to
// the summary (or shows the page again with why nothing was imported). Without script the page
// refreshes itself every few seconds.
(function () {
  "use strict";
  var box = document.getElementById("tarefa");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-estado");
  var bar = document.getElementById("progresso");
  var text = document.getElementById("andamento");
  var state = document.getElementById("situacao");
  var ask = function () {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (!j) { window.setTimeout(ask, 3000); return; }
        if (j.ended) {
          window.location.assign(j.location || window.location.pathname);
          return;
        }
        if (state) { state.textContent = j.label; }
        if (text) { text.textContent = j.progress; }
        if (bar) {
          if (j.percent === null) { bar.removeAttribute("value"); } else { bar.value = j.percent; }
        }
        window.setTimeout(ask, 500);
      })
      .catch(function () { window.setTimeout(ask, 3000); });
  };
  window.setTimeout(ask, 300);
})();
