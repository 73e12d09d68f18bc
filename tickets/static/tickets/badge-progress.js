// Badge print sheet progress in admin: poll the sheet's status URL and
// update the progress bar, the text and the download link until it is done.
(function () {
  "use strict";
  var root = document.querySelector("[data-badge-sheet-status]");
  if (!root || root.getAttribute("data-finished") === "true") {
    return;
  }
  var url = root.getAttribute("data-badge-sheet-status");
  var bar = document.getElementById("badge-progress");
  var status = document.getElementById("badge-status");
  var text = document.getElementById("badge-progress-text");
  var error = document.getElementById("badge-error");
  var errorText = document.getElementById("badge-error-text");
  var download = document.getElementById("badge-download");

  function show(data) {
    bar.max = Math.max(data.total, 1);
    bar.value = data.done;
    bar.textContent = data.percent + "%";
    status.textContent = data.status_label;
    text.textContent = data.text;
    if (data.status === "done" && data.download_url) {
      download.querySelector("a").href = data.download_url;
      download.hidden = false;
    }
    if (data.status === "failed") {
      errorText.textContent = data.error;
      error.hidden = false;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.status !== "done" && data.status !== "failed") {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
