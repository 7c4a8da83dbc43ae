// The batch page's small helpers: the screen reader's status line, the notification when a
// batch ends, and copying a list of titles. The page works without them.
"use strict";

(function () {
  const notifyKey = "wikicheck-notify:" + location.pathname;

  function progress() {
    return document.getElementById("progress");
  }

  // The live region stays in place and changes only when its text does, so that a screen
  // reader hears each step once, not every poll.
  function liveUpdate() {
    const live = document.getElementById("live-status");
    const section = progress();
    if (live && section && live.textContent !== section.dataset.live) {
      live.textContent = section.dataset.live;
    }
  }

  function notifyButtonSet() {
    const button = document.getElementById("notify");
    if (!button || !("Notification" in window) || Notification.permission === "denied") {
      return;
    }
    button.hidden = false;
    if (sessionStorage.getItem(notifyKey) && Notification.permission === "granted") {
      button.textContent = "You will be notified when it ends";
      button.disabled = true;
    }
  }

  // Permission is asked for only here, on the user's click, never on page load.
  function notifyAsk(button) {
    Notification.requestPermission().then(function (permission) {
      if (permission === "granted") {
        sessionStorage.setItem(notifyKey, "1");
        button.textContent = "You will be notified when it ends";
        button.disabled = true;
      } else {
        button.textContent = "Notifications are blocked in this browser";
        button.disabled = true;
      }
    });
  }

  function notifyIfEnded() {
    const section = progress();
    if (!section || section.dataset.settled !== "true" || !sessionStorage.getItem(notifyKey)) {
      return;
    }
    sessionStorage.removeItem(notifyKey);
    if ("Notification" in window && Notification.permission === "granted") {
      new Notification("Done · wikicheck", { body: section.dataset.notice, tag: notifyKey });
    }
  }

  // Without the clipboard (an insecure page, an old browser) the link opens the titles.
  function copyTitles(link) {
    const status = link.closest("section").querySelector(".copy-status");
    fetch(link.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("The titles could not be fetched (HTTP " + response.status + ").");
        }
        return response.text();
      })
      .then(function (text) {
        return navigator.clipboard.writeText(text);
      })
      .then(function () {
        status.textContent = link.dataset.copied + " to the clipboard.";
      })
      .catch(function (error) {
        status.textContent = error.message + " Opening them instead.";
        location.href = link.href;
      });
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-copy]");
    if (link && navigator.clipboard) {
      event.preventDefault();
      copyTitles(link);
    }
    const button = event.target.closest("#notify");
    if (button) {
      notifyAsk(button);
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    liveUpdate();
    notifyButtonSet();
    notifyIfEnded();
  });

  document.addEventListener("DOMContentLoaded", notifyButtonSet);
})();
