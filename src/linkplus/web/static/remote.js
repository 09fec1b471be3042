/* Remote control, live: follows the car's commands over server-sent events and counts down the
   time left for hazard lights and climate. Without this file the page still works: the forms
   post, and the page shows what the server knew when it was drawn. */
(function () {
  "use strict";

  var panel = document.querySelector("[data-remote]");
  if (!panel || !("EventSource" in window)) {
    return;
  }
  var status = panel.querySelector("[data-remote-status]");
  var following = panel.getAttribute("data-command");
  var followingSince = Date.parse(panel.getAttribute("data-command-created") || "") || 0;
  var LABELS = {
    accepted: "Accepted",
    sent: "Sent to the car",
    acknowledged: "The car has it",
    completed: "Completed",
    failed: "Failed",
    expired: "The car did not answer"
  };
  var STEPS = ["accepted", "sent", "acknowledged", "completed"];
  var COUNTDOWN = {
    "hazard-lights-on": "hazard",
    "climate-start": "climate",
    "climate-renew": "climate",
    "climate-stop": "climate"
  };
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

  function show(command, state) {
    var paragraph = document.createElement("p");
    paragraph.className = "remote-progress state-" + state;
    paragraph.setAttribute("data-state", state);
    paragraph.appendChild(text("strong", command.title || command.type));
    paragraph.appendChild(document.createTextNode(": "));
    paragraph.appendChild(text("span", LABELS[state] || state));
    var steps = document.createElement("ol");
    steps.className = "remote-steps";
    steps.setAttribute("aria-label", "Progress");
    var reached = STEPS.indexOf(state);
    STEPS.forEach(function (step, index) {
      steps.appendChild(text("li", LABELS[step], index <= reached ? "done" : ""));
    });
    status.replaceChildren(paragraph, steps);
    status.hidden = false;
    if (command.message && (state === "failed" || state === "expired")) {
      status.appendChild(text("p", command.message, "remote-reason"));
    }
  }

  function onCommand(event) {
    var data = JSON.parse(event.data);
    var command = data.command;
    var listed = document.querySelector('[data-recent="' + command.id + '"]');
    if (listed) {
      listed.textContent = LABELS[data.state] || data.state;
      listed.className = "state state-" + data.state;
    }
    var kind = COUNTDOWN[command.type];
    if (kind && data.state === "completed") {
      countdown(kind, command.seconds_left || 0);
    }
    if (command.id !== following) {
      var created = Date.parse(command.created_at);
      if (created < followingSince) {
        return; // an older command: the page keeps showing the one it follows
      }
      following = command.id; // a newer one (just sent, another tab, a schedule) takes over
      followingSince = created;
    }
    show(command, data.state);
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
