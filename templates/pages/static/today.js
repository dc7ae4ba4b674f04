// Today updates itself: every 15 s it asks the server for the open-alerts card and, when it
// changed, swaps it in and puts the count in the tab title. No framework; works under the
// pages' CSP (script-src 'self'). A failed poll keeps the page as it is and tries again.
(function () {
  "use strict";
  var PERIOD_MS = window.AFTERCARE_POLL_MS || 15000;  // tests shorten it
  var card = document.getElementById("alerts");
  if (!card || !window.fetch) { return; }
  var stat = document.querySelector("#alerts-stat .stat-num");
  var title = document.title.replace(/^\(\d+\)\s*/, "");

  function show(count) {
    document.title = (count > 0 ? "(" + count + ") " : "") + title;
    if (stat) { stat.textContent = String(count); }
    var box = document.getElementById("alerts-stat");
    if (box) { box.classList.toggle("stat-alert", count > 0); }
  }

  function poll() {
    fetch(card.getAttribute("data-live"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (data.signature !== card.getAttribute("data-signature")) {
          card.innerHTML = data.html;
          card.setAttribute("data-signature", data.signature);
        }
        show(data.open_alerts);
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { window.setTimeout(poll, PERIOD_MS); });
  }
  window.setTimeout(poll, PERIOD_MS);
})();
