// Live output of a job page: polls the job's events until the job has finished.
(function () {
  "use strict";
  var table = document.getElementById("job-events");
  if (!table || table.dataset.finished === "true") { return; }
  var body = table.querySelector("tbody");
  var output = document.getElementById("job-output");
  var statusBadge = document.getElementById("job-status");
  var reason = document.getElementById("job-reason");
  var step = document.getElementById("job-step");
  var rows = body.querySelectorAll("tr[data-counter]");
  var after = rows.length ? Number(rows[rows.length - 1].dataset.counter) : 0;
  var deadline = Date.now() + 6 * 60 * 60 * 1000;

  function cell(text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    return td;
  }

  function poll() {
    fetch(table.dataset.url + "?after=" + after, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        data.events.forEach(function (event) {
          after = Math.max(after, event.counter);
          output.textContent += event.stdout + "\n";
          if (!event.host) { return; }
          var tr = document.createElement("tr");
          tr.dataset.counter = event.counter;
          tr.appendChild(cell(String(event.counter)));
          tr.appendChild(cell(event.host));
          tr.appendChild(cell(event.task || ""));
          tr.appendChild(cell(event.event.replace("runner_on_", "") + (event.changed ? " (changed)" : ""),
                              event.failed ? "error" : ""));
          body.appendChild(tr);
        });
        statusBadge.textContent = data.status_label;
        statusBadge.className = "state state-" + data.status;
        step.lastElementChild.textContent = data.step;
        step.hidden = !data.step;
        if (data.reason) { reason.textContent = data.reason; reason.hidden = false; }
        if (data.finished) { window.location.reload(); return; }
        if (Date.now() < deadline) { window.setTimeout(poll, 1000); }
      })
      .catch(function () { if (Date.now() < deadline) { window.setTimeout(poll, 5000); } });
  }
  window.setTimeout(poll, 500);
}());
