/* mcof serve: the little the pages do with JavaScript beyond htmx's attributes. Everything
   here is optional: every page works without JavaScript (forms re-render on submit). */
(function () {
  "use strict";
  // A why panel swapped in by a grid click is brought into view, and its cell is marked open
  // in the grid (as the server marks it when it renders the whole page). After the settle, not
  // the swap: until then htmx keeps the old panel's classes ("empty") on the new one.
  document.addEventListener("htmx:afterSettle", function (event) {
    var panel = document.getElementById("why-panel");
    if (panel && event.detail && event.detail.target && event.detail.target.id === "why-panel"
        && !panel.classList.contains("empty")) {
      document.querySelectorAll("#grid td.open").forEach(function (cell) { cell.classList.remove("open"); });
      var opened = document.getElementById("cell-" + panel.dataset.sector + "-" + panel.dataset.phase);
      if (opened) { opened.classList.add("open"); }
      panel.scrollIntoView({block: "nearest"});
    }
  });
  // With JavaScript the form updates on every change: the Assess button is not needed
  // (app.css hides it under html.js).
  document.documentElement.classList.add("js");
})();
