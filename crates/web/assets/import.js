// Upload with a progress bar: the file goes with XMLHttpRequest (the CSRF token in a header), then the
// server queues it and answers where its job's page is (which shows the import's own progress).
// Without JavaScript the form posts normally.
(function () {
  "use strict";
  var form = document.getElementById("envio");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  form.addEventListener("submit", function (ev) {
    // The preview is a page of its own: the form posts there as it is.
    if (ev.submitter && ev.submitter.hasAttribute("formaction")) { return; }
    ev.preventDefault();
    var box = form.querySelector(".progress");
    var bar = form.querySelector("progress");
    var text = form.querySelector(".progress-text");
    var button = form.querySelector("button[type=submit]");
    var label = form.querySelector(".progress-label");
    // A refusal or a dropped connection ends the upload: the bar goes, the reason stays.
    var ended = function (message) {
      button.disabled = false;
      bar.hidden = true;
      label.hidden = true;
      text.textContent = message;
      text.className = "progress-text error";
      text.setAttribute("role", "alert");
    };
    box.hidden = false;
    bar.hidden = false;
    label.hidden = false;
    bar.value = 0;
    text.className = "progress-text";
    text.removeAttribute("role");
    button.disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/importacoes");
    xhr.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round(100 * e.loaded / e.total);
        text.textContent = bar.value + "% enviado";
      }
    };
    xhr.upload.onload = function () { bar.removeAttribute("value"); text.textContent = "Arquivo enviado; entrando na fila…"; };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 200 && body.location) { window.location.assign(body.location); return; }
      var why = body.error || ("importação não realizada: o servidor respondeu com o código " + xhr.status + ".");
      ended(why.charAt(0).toUpperCase() + why.slice(1));
    };
    xhr.onerror = function () { ended("A conexão caiu durante o envio; nada foi importado. Tente de novo."); };
    xhr.send(new FormData(form));
  });
})();
