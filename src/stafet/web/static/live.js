/* stafet: the case page follows the live feed (/feed, Server-Sent Events) and refreshes the
   parts marked data-live when another participant writes in this case. Without this script
   the page reads the same; it only saves a reload. No inline script: the CSP forbids it. */
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  if (!status || !window.EventSource || !window.fetch || !window.DOMParser) { return; }
  var caseId = status.getAttribute("data-live-case");
  var pageUrl = status.getAttribute("data-live-url");
  var feedUrl = "/feed?after=" + encodeURIComponent(status.getAttribute("data-live-after")) +
    "&purpose=" + encodeURIComponent(status.getAttribute("data-live-purpose") || "");
  var timer = null;
  var busy = false;
  var again = false;
  var lastType = "";
  var lastActor = "";

  function say(text) { status.textContent = text; }

  // A region the person is typing in is left alone (their words stay); the next event
  // after they are done brings it up to date.
  function typingIn(region) {
    var active = document.activeElement;
    if (active && region.contains(active) &&
        (active.tagName === "TEXTAREA" || (active.tagName === "INPUT" &&
          active.type !== "hidden" && active.type !== "checkbox" && active.type !== "radio"))) {
      return true;
    }
    var fields = region.querySelectorAll("textarea, input[type=text], input[type=date], " +
                                         "input[type=datetime-local]");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== fields[i].defaultValue) { return true; }
    }
    return false;
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(pageUrl, { credentials: "same-origin", headers: { "X-Stafet-Live": "1" } })
      .then(function (answer) {
        if (!answer.ok || answer.redirected) { throw new Error("status " + answer.status); }
        return answer.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var regions = document.querySelectorAll("[data-live]");
        for (var i = 0; i < regions.length; i++) {
          var old = regions[i];
          var next = fresh.getElementById(old.id);
          if (!next || typingIn(old) || old.innerHTML === next.innerHTML) { continue; }
          var focusedId = document.activeElement && old.contains(document.activeElement) ?
            document.activeElement.id : null;
          old.replaceWith(document.importNode(next, true));
          if (focusedId && document.getElementById(focusedId)) {
            document.getElementById(focusedId).focus();
          }
        }
        var clock = new Date().toLocaleTimeString(document.documentElement.lang || "da",
                                                  { hour: "2-digit", minute: "2-digit" });
        var newest = fresh.querySelector("#history li:last-child .what");
        say(status.getAttribute("data-live-updated").replace("{when}", clock)
            .replace("{what}", newest ? lastActor + " " + newest.textContent : lastType));
        document.body.setAttribute("data-live-version", String(Date.now()));
      })
      .catch(function () { say(status.getAttribute("data-live-stopped")); })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  var source = new EventSource(feedUrl);
  source.onmessage = function (message) {
    var event;
    try { event = JSON.parse(message.data); } catch (e) { return; }
    if (event.case_id !== caseId) { return; }
    lastType = event.type + " (" + event.actor + ")";
    lastActor = event.actor;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, 150);
  };
  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED) { say(status.getAttribute("data-live-stopped")); }
  };
}());
