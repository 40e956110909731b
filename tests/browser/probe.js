/* Appended to a report by tests/browser/chromium.py:with_probe.  Records what the browser
   actually shows (computed colours, what is visible before and after "print") and writes it
   as JSON into a pre element (id mcof-probe) that --dump-dom then carries out. */
(function () {
  "use strict";
  function visible(el) {
    if (!el) { return false; }
    if (el.checkVisibility) {
      return el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
    }
    return el.getClientRects().length > 0;
  }
  function text(el) { return el ? el.innerText.replace(/\s+/g, " ").trim() : null; }
  function cellInfo(td) {
    var cs = getComputedStyle(td);
    var d = td.querySelector("details");
    var quotes = Array.prototype.slice.call(td.querySelectorAll("blockquote"));
    var summary = td.querySelector("summary");
    return {
      id: td.id, phase: td.getAttribute("data-phase"), level: td.getAttribute("data-level"),
      background: cs.backgroundColor, color: cs.color,
      shown: visible(summary) ? text(summary) : text(td),
      hasDetails: !!d, open: d ? d.open : null,
      quotes: quotes.map(function (q) { return q.textContent.replace(/\s+/g, " ").trim(); }),
      quotesVisible: quotes.map(visible),
      derivedBadges: td.querySelectorAll(".badge-derived").length,
      chains: td.querySelectorAll(".chain").length,
      rules: Array.prototype.slice.call(td.querySelectorAll(".just")).map(function (j) { return j.getAttribute("data-rule"); })
    };
  }
  var out = { title: document.title, grids: {} };
  Array.prototype.slice.call(document.querySelectorAll("table.grid")).forEach(function (t) {
    out.grids[t.id] = {
      phases: Array.prototype.slice.call(t.querySelectorAll("thead th.phase-h")).map(function (th) { return th.getAttribute("data-phase"); }),
      rows: Array.prototype.slice.call(t.querySelectorAll("tbody > tr")).map(function (tr) {
        var th = tr.querySelector("th");
        return {
          sector: tr.getAttribute("data-sector"), label: text(th),
          cells: Array.prototype.slice.call(tr.querySelectorAll("td.cell")).map(cellInfo)
        };
      })
    };
  });
  var details = Array.prototype.slice.call(document.querySelectorAll("details"));
  out.detailsCount = details.length;
  out.openBefore = details.filter(function (d) { return d.open; }).length;
  out.quotesVisibleBefore = Array.prototype.slice.call(document.querySelectorAll("td.cell blockquote")).filter(visible).length;
  window.dispatchEvent(new Event("beforeprint"));
  out.openDuringPrint = details.filter(function (d) { return d.open; }).length;
  out.quotesVisibleDuringPrint = Array.prototype.slice.call(document.querySelectorAll("td.cell blockquote")).filter(visible).length;
  out.quotesTotal = document.querySelectorAll("td.cell blockquote").length;
  window.dispatchEvent(new Event("afterprint"));
  out.openAfterPrint = details.filter(function (d) { return d.open; }).length;
  out.sections = Array.prototype.slice.call(document.querySelectorAll("h2")).map(text);
  out.footer = text(document.querySelector("footer"));
  out.profile = Array.prototype.slice.call(document.querySelectorAll("#profile-table tbody tr")).map(function (tr) {
    return { fact: tr.getAttribute("data-fact"), shown: text(tr.querySelector("td")), unknown: tr.classList.contains("unknown") };
  });
  out.whyNot = Array.prototype.slice.call(document.querySelectorAll(".whynot-item")).map(function (a) { return a.id; });
  out.resources = performance.getEntriesByType("resource").map(function (e) { return e.name; });
  out.csp = (document.querySelector('meta[http-equiv="Content-Security-Policy"]') || {}).content || null;
  var pre = document.createElement("pre");
  pre.id = "mcof-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
