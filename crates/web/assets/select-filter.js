// A long select (`select[data-filtro]`, such as the 250 areas of a state) gets a search box above it:
// typing hides the options whose text does not contain the words typed, accents and case aside, and
// selects the first one left. Without this script the select works as it is.
(function () {
  "use strict";
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("select[data-filtro]").forEach(function (select, i) {
    var input = document.createElement("input");
    input.type = "search";
    input.className = "select-filter";
    input.id = "filtro-" + (select.id || select.name || i);
    input.placeholder = select.getAttribute("data-filtro");
    input.setAttribute("aria-label", select.getAttribute("data-filtro"));
    input.setAttribute("aria-controls", select.id || "");
    // Before the label that wraps the select, if any: inside it, the box would take the label's name.
    var anchor = select.closest("label") || select;
    anchor.parentNode.insertBefore(input, anchor);
    input.addEventListener("input", function () {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(select.options, function (o) {
        var text = fold(o.text);
        var shown = o.value === "" || words.every(function (w) { return text.indexOf(w) >= 0; });
        o.hidden = !shown;
        if (shown && o.value !== "" && !first) first = o;
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (g) {
        g.hidden = !Array.prototype.some.call(g.children, function (o) { return !o.hidden; });
      });
      if (first && select.selectedOptions.length && select.selectedOptions[0].hidden) {
        first.selected = true;
      }
    });
  });
})();
