// The main menu on small screens: a button shows and hides it. Without this script the menu simply
// stays open (the stylesheet hides it only under `html.js`).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var button = document.querySelector("button.menu-button");
  var nav = document.getElementById("menu-principal");
  if (!button || !nav) return;
  button.addEventListener("click", function () {
    var open = nav.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
