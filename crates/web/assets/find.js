// Things that find, accents and case aside.
//
// A long select (`select[data-filtro]`, such as the 250 areas of a state) gets a search box above it:
// typing hides the options whose text does not contain the words typed and selects the first one left.
//
// A long table (`table[data-busca]`): a search box above the table hides the rows whose text does not
// hold the words typed, only the first PAGE rows found are shown with a button for the next ones, and
// each column heading sorts the rows — numbers by value ("1.234,5"), text in Brazilian order ("Água
// Limpa" among the A's, "AIS 8" before "AIS 10").
//
// Without this script the select and the table work as the server sent them.
(function () {
  "use strict";
  var PAGE = 50;
  var collator = new Intl.Collator("pt-BR", { numeric: true, sensitivity: "base" });
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  // Whether a text holds every word of `query`, accents and case aside.
  function matcher(query) {
    var words = fold(query).split(/\s+/).filter(Boolean);
    return function (text) {
      var t = fold(text);
      return words.every(function (w) { return t.indexOf(w) >= 0; });
    };
  }
  // A cell as a number when it reads as one in pt-BR ("1.234,5", "-3,2 %", "+12,0%"), else null.
  function number(text) {
    var t = text.replace(/\s|%|\+/g, "").replace(/\./g, "").replace(",", ".");
    return /^-?\d+(\.\d+)?$/.test(t) ? parseFloat(t) : null;
  }
  // A Brazilian date ("23/11/2026", "23/11/2026 09:00", "a 30/11/2026") as text that sorts in time.
  function dated(text) {
    var m = /^(?:\D*?)(\d{2})\/(\d{2})\/(\d{4})(.*)$/.exec(text);
    return m ? m[3] + "-" + m[2] + "-" + m[1] + m[4] : text;
  }
  function setup(table, n) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    var shown = PAGE;
    var box = document.createElement("div");
    box.className = "table-tools";
    var input = document.createElement("input");
    input.type = "search";
    input.id = "busca-tabela-" + n;
    input.placeholder = table.getAttribute("data-busca");
    input.setAttribute("aria-label", table.getAttribute("data-busca"));
    var status = document.createElement("span");
    status.className = "table-count";
    status.setAttribute("aria-live", "polite");
    box.appendChild(input);
    box.appendChild(status);
    var holder = table.closest(".table-wrap, .table-scroll") || table;
    holder.parentNode.insertBefore(box, holder);
    var more = document.createElement("button");
    more.type = "button";
    more.className = "br-button secondary small table-more";
    holder.parentNode.insertBefore(more, holder.nextSibling);
    function refresh() {
      var holds = matcher(input.value);
      var found = 0;
      rows.forEach(function (r) {
        var hit = holds(r.textContent);
        if (hit) { found += 1; }
        r.hidden = !hit || found > shown;
      });
      var visible = Math.min(found, shown);
      status.textContent = visible < found
        ? "mostrando " + visible + " de " + found + " linhas"
        : found + (found === 1 ? " linha" : " linhas");
      more.hidden = visible >= found;
      more.textContent = "Mostrar mais " + Math.min(PAGE, found - visible) + " linhas";
    }
    input.addEventListener("input", function () { shown = PAGE; refresh(); });
    more.addEventListener("click", function () { shown += PAGE; refresh(); });
    var heads = table.tHead ? table.tHead.rows[table.tHead.rows.length - 1].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      if (th.colSpan > 1) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var keyed = rows.map(function (r) {
          var cell = r.cells[col];
          var text = cell ? cell.textContent.trim() : "";
          return { row: r, text: dated(text), n: number(text) };
        });
        keyed.sort(function (a, b) {
          var c = (a.n !== null && b.n !== null) ? a.n - b.n : collator.compare(a.text, b.text);
          return ascending ? c : -c;
        });
        rows = keyed.map(function (k) { return k.row; });
        rows.forEach(function (r) { body.appendChild(r); });
        refresh();
      });
    });
    refresh();
  }
  document.querySelectorAll("table[data-busca]").forEach(setup);
  document.querySelectorAll("select[data-filtro]").forEach(function (select, i) {
    var input = document.createElement("input");
    input.type = "search";
    input.className = "select-filter";
    input.id = "filtro-" + (select.id || select.name || i);
    input.placeholder = select.getAttribute("data-filtro");
    input.setAttribute("aria-label", select.getAttribute("data-filtro"));
    input.setAttribute("aria-controls", select.id || "");
    // Before the label that wraps the select, if any: inside it, the box would take the label's name.
    // A select that is a cell of a form's grid shares its cell with the box, so the grid keeps its
    // label beside its input.
    var label = select.closest("label");
    if (label) {
      label.parentNode.insertBefore(input, label);
    } else {
      var cell = document.createElement("div");
      cell.className = "select-with-filter";
      select.parentNode.insertBefore(cell, select);
      cell.appendChild(input);
      cell.appendChild(select);
    }
    input.addEventListener("input", function () {
      var found = matcher(input.value);
      var first = null;
      Array.prototype.forEach.call(select.options, function (o) {
        var shown = o.value === "" || found(o.text);
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
