/* mcof serve: the little the pages do with JavaScript beyond htmx's attributes. Everything
   here is optional: every page works without JavaScript (forms re-render on submit). */
(function () {
  "use strict";
  // A why panel swapped in by a grid click is brought into view.
  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = document.getElementById("why-panel");
    if (panel && event.detail && event.detail.target && event.detail.target.id === "why-panel"
        && !panel.classList.contains("empty")) {
      panel.scrollIntoView({block: "nearest"});
    }
  });
  // With JavaScript the form updates on every change: the Assess button is not needed.
  document.documentElement.classList.add("js");
})();
