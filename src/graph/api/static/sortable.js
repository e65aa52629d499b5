// Sort a results table by a column on the page: click a header once for ascending, again for
// descending. Numbers sort as numbers, the rest as text in the page's language; empty cells last.
// The page works without this script (the table keeps the query's order).
(function () {
  "use strict";
  function key(row, index) {
    const cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }
  function numeric(values) {
    return values.every(function (v) { return v === "" || v === "–" || !isNaN(Number(v)); });
  }
  function sortBy(table, index, button) {
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const values = rows.map(function (row) { return key(row, index); });
    const asNumbers = numeric(values);
    const descending = button.closest("th").getAttribute("aria-sort") === "ascending";
    const collator = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true });
    const order = rows.map(function (row, i) { return i; });
    order.sort(function (a, b) {
      const x = values[a], y = values[b];
      const emptyX = x === "" || x === "–", emptyY = y === "" || y === "–";
      if (emptyX || emptyY) { return emptyX === emptyY ? a - b : (emptyX ? 1 : -1); }
      const c = asNumbers ? Number(x) - Number(y) : collator.compare(x, y);
      return (descending ? -c : c) || a - b;
    });
    table.querySelectorAll("thead th").forEach(function (th) { th.removeAttribute("aria-sort"); });
    button.closest("th").setAttribute("aria-sort", descending ? "descending" : "ascending");
    order.forEach(function (i) { body.appendChild(rows[i]); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, index) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      button.title = document.documentElement.lang === "sv" ? "Sortera" : "Sort";
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, button); });
    });
  });
}());
