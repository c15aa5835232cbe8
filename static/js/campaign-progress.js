// Campaign progress: without JavaScript the page has a "Refresh the progress" link; with it, the
// bar, the percentage and the counts are updated from the JSON endpoint every 2 seconds until the
// campaign has finished. Only a change of status is announced (role="status"), not every tick.
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
  var timer = null;

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
    if (data.finished && timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { update(data); } })
      .catch(function () { /* keep the last figures; the Refresh link still works */ });
  }

  timer = window.setInterval(poll, 2000);
  poll();
}());
