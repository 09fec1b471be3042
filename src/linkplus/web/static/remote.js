/* Remote control, live: follows the car's commands over server-sent events and counts down the
   time left for hazard lights, engine and climate. Without this file the page still works: the
   forms post, and the page shows what the server knew when it was drawn.

   The page converges on the truth whatever the stream delivered: each event carries the command
   as it is now (its furthest state is shown, and a command never moves back), each connection
   starts with where the recent commands stand, and what runs on the car (seconds left, climate
   renewals left) comes from the server with every event, never from counting on this side. */
(function () {
  "use strict";

  var panel = document.querySelector("[data-remote]");
  if (!panel || !("EventSource" in window)) {
    return;
  }
  var status = panel.querySelector("[data-remote-status]");
  var following = panel.getAttribute("data-command");
  var followingSince = Date.parse(panel.getAttribute("data-command-created") || "") || 0;
  // The page's words in the reader's language (remote_pages.Panel.words): states, the
  // commands' names by type, the refusals' messages by code, the renewals left by count.
  var WORDS = JSON.parse(panel.getAttribute("data-words") || "{}");
  var LABELS = WORDS.states || {};
  var TITLES = WORDS.titles || {};
  var REASONS = WORDS.reasons || {};
  var RENEWALS = WORDS.renewals || [];
  var STEPS = ["accepted", "sent", "acknowledged", "completed"];
  var RANK = { accepted: 0, sent: 1, acknowledged: 2, completed: 3, failed: 3, expired: 3 };
  var RUNNING = { hazard: "hazard_seconds_left", engine: "engine_seconds_left", climate: "climate_seconds_left" };
  var reached = {}; // command id -> the furthest state shown for it
  var ends = {};
  var ticking = null;

  function text(tag, content, className) {
    var element = document.createElement(tag);
    element.textContent = content;
    if (className) {
      element.className = className;
    }
    return element;
  }

  function clock(seconds) {
    var whole = Math.max(0, Math.ceil(seconds));
    var rest = whole % 60;
    return Math.floor(whole / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    var now = Date.now();
    var running = false;
    Object.keys(ends).forEach(function (kind) {
      var element = panel.querySelector('[data-countdown="' + kind + '"]');
      if (!element) {
        return;
      }
      var left = (ends[kind] - now) / 1000;
      element.setAttribute("data-seconds", String(Math.max(0, Math.ceil(left))));
      element.querySelector("[data-left]").textContent = clock(left);
      element.hidden = left <= 0;
      running = running || left > 0;
    });
    if (!running && ticking !== null) {
      window.clearInterval(ticking);
      ticking = null;
    }
  }

  function countdown(kind, seconds) {
    ends[kind] = Date.now() + seconds * 1000;
    tick();
    if (ticking === null && seconds > 0) {
      ticking = window.setInterval(tick, 1000);
    }
  }

  function renewals(left) {
    var element = panel.querySelector("[data-renewals]");
    if (!element) {
      return;
    }
    element.setAttribute("data-renewals", String(left));
    element.textContent = RENEWALS[left] || "(" + left + ")";
  }

  function showRunning(running) {
    Object.keys(RUNNING).forEach(function (kind) {
      var seconds = running[RUNNING[kind]];
      if (typeof seconds === "number") {
        countdown(kind, seconds);
      }
    });
    if (typeof running.climate_renewals_left === "number") {
      renewals(running.climate_renewals_left);
    }
  }

  function show(command, state) {
    var paragraph = document.createElement("p");
    paragraph.className = "remote-progress state-" + state;
    paragraph.setAttribute("data-state", state);
    paragraph.appendChild(text("strong", TITLES[command.type] || command.title || command.type));
    paragraph.appendChild(document.createTextNode(": "));
    paragraph.appendChild(text("span", LABELS[state] || state));
    var steps = document.createElement("ol");
    steps.className = "remote-steps";
    steps.setAttribute("aria-label", WORDS.progress || "Progress");
    var done = STEPS.indexOf(state);
    STEPS.forEach(function (step, index) {
      steps.appendChild(text("li", LABELS[step] || step, index <= done ? "done" : ""));
    });
    status.replaceChildren(paragraph, steps);
    status.hidden = false;
    if (command.message && (state === "failed" || state === "expired")) {
      status.appendChild(text("p", REASONS[command.code] || command.message, "remote-reason"));
    }
  }

  function furthest(id, states) {
    var best = reached[id];
    states.forEach(function (state) {
      if (state in RANK && (best === undefined || RANK[state] > RANK[best])) {
        best = state;
      }
    });
    reached[id] = best;
    return best;
  }

  function onCommand(event) {
    var data = JSON.parse(event.data);
    var command = data.command;
    if (data.running) {
      showRunning(data.running);
    }
    var state = furthest(command.id, [data.state, command.state]);
    var listed = document.querySelector('[data-recent="' + command.id + '"]');
    if (listed) {
      listed.textContent = LABELS[state] || state;
      listed.className = "state state-" + state;
    }
    if (command.id !== following) {
      var created = Date.parse(command.created_at);
      if (created < followingSince) {
        return; // an older command: the page keeps showing the one it follows
      }
      following = command.id; // a newer one (just sent, another tab, a schedule) takes over
      followingSince = created;
    }
    show(command, state);
  }

  var shown = status.querySelector("[data-state]");
  if (following && shown) {
    reached[following] = shown.getAttribute("data-state");
  }
  panel.querySelectorAll("[data-countdown]").forEach(function (element) {
    var seconds = Number(element.getAttribute("data-seconds") || "0");
    if (seconds > 0) {
      countdown(element.getAttribute("data-countdown"), seconds);
    }
  });

  var source = new EventSource(panel.getAttribute("data-stream"));
  source.addEventListener("command", onCommand);
})();
