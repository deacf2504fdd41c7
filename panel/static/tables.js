// On a narrow screen every table with a heading row becomes one card per row (panel.css,
// table.stack) instead of scrolling sideways, which would hide the actions in its last
// columns: each cell gets its column's heading as its data-label. Rows added later (live
// updates) get theirs too. Without JavaScript such tables scroll inside themselves.
(function () {
  "use strict";
  var main = document.querySelector("main");
  if (!main) { return; }

  function headings(table) {
    var head = table.tHead;
    if (!head || !head.rows.length) { return null; }
    var names = [];
    Array.prototype.forEach.call(head.rows[head.rows.length - 1].cells, function (th) {
      for (var i = 0; i < th.colSpan; i += 1) { names.push(th.textContent.trim()); }
    });
    return names;
  }

  function label(table) {
    var names = headings(table);
    if (!names) { return; }
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label")) { cell.setAttribute("data-label", names[column] || ""); }
          column += cell.colSpan;
        });
      });
    });
    table.classList.add("stack");
  }

  function labelAll() { main.querySelectorAll("table").forEach(label); }
  labelAll();
  var pending = false;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; labelAll(); });
  }).observe(main, { childList: true, subtree: true });
}());
