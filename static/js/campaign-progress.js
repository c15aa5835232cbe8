// Campaign progress: without JavaScript the page has a "Refresh the progress" link; with it, the
// bar, the percentage and the counts are updated from the JSON endpoint until the campaign has
// finished. Every 2 seconds while the figures move; each answer that changes nothing doubles the
// wait, up to 30 seconds (a tab left open on a stalled or scheduled campaign costs little), and
// the first change brings it back to 2 seconds. Only a change of status is announced
// (role="status"), not every tick.
(function () {
  "use strict";
  var root = document.querySelector("[data-module='app-campaign-progress']");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-progress-url");
  var bar = root.querySelector("progress");
  var percent = root.querySelector("[data-progress-percent]");
  var status = root.querySelector("[data-campaign-status]");
  var activity = root.querySelector("[data-campaign-activity]");
  // Rewritten only when the words change: the paragraph is a live region.
  var shownActivity = activity ? activity.textContent : "";
  var FASTEST = 2000;
  var SLOWEST = 30000;
  var delay = FASTEST;
  var last = null;

  function update(data) {
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    percent.textContent = data.percent + "%";
    if (status.textContent !== data.status_label) { status.textContent = data.status_label; }
    var lines = (data.activity || []).join("");
    if (activity && shownActivity !== lines) {
      shownActivity = lines;
      activity.textContent = "";
      (data.activity || []).forEach(function (line) {
        var span = document.createElement("span");
        span.className = "nhsuk-u-display-block";
        span.textContent = line;
        activity.appendChild(span);
      });
    }
    Object.keys(data.counts).forEach(function (key) {
      var cell = root.querySelector("[data-count='" + key + "']");
      if (cell) { cell.textContent = String(data.counts[key]); }
    });
  }

  function schedule(data) {
    if (data && data.finished) { return; }
    var seen = data ? JSON.stringify(data) : last;
    delay = (seen === last) ? Math.min(delay * 2, SLOWEST) : FASTEST;
    last = seen;
    root.setAttribute("data-poll-delay", String(delay));
    window.setTimeout(poll, delay);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) { update(data); }
        schedule(data);
      })
      .catch(function () { schedule(null); /* keep the last figures; the Refresh link still works */ });
  }

  poll();
}());
