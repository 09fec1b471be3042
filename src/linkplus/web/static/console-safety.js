/* The safety queue, live: follows the stream of case changes (server-sent events over the
   console's cookie), puts a new case at the top of its list, updates a case that changed and
   takes a closed one away; the ages count up. Without this file the page shows what the server
   knew when it was drawn (reload it). The rows are drawn as console/safety/_row.html draws them. */
(function () {
  "use strict";

  var queue = document.querySelector("[data-safety-queue]");
  if (!queue || queue.hasAttribute("data-closed") || !("EventSource" in window)) {
    return;
  }
  var status = queue.querySelector("[data-live-status]");
  var TRACKING = { none: "Not started", active: "Active", paused: "Paused", ended: "Ended" };
  var loaded = Date.now();

  function age(seconds) {
    if (seconds < 60) {
      return seconds + " s";
    }
    if (seconds < 3600) {
      return Math.floor(seconds / 60) + " min";
    }
    if (seconds < 86400) {
      return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
    }
    return Math.floor(seconds / 86400) + " d";
  }

  function coordinate(value, positive, negative) {
    return Math.abs(value).toFixed(5) + "\u00b0 " + (value >= 0 ? positive : negative);
  }

  function position(c) {
    if (c.latitude === null || c.longitude === null) {
      return "No position yet";
    }
    return coordinate(c.latitude, "N", "S") + ", " + coordinate(c.longitude, "E", "W");
  }

  function element(tag, className, content) {
    var made = document.createElement(tag);
    if (className) {
      made.className = className;
    }
    if (content !== undefined) {
      made.textContent = content;
    }
    return made;
  }

  function fact(list, label, value, name) {
    list.appendChild(element("dt", "", label));
    var dd = element("dd", name === "position" ? "coordinates" : "", value);
    dd.setAttribute("data-" + name, "");
    list.appendChild(dd);
    return dd;
  }

  function row(c) {
    var item = element("li", "case-row kind-" + c.kind + " case-" + c.state);
    item.setAttribute("data-case", c.id);
    item.setAttribute("data-kind", c.kind);
    var head = element("div", "row");
    var link = element("a", "title", c.title);
    link.href = "/console/safety/cases/" + c.id;
    link.setAttribute("data-title", "");
    var state = element(
      "span",
      "badge" + (c.taken ? "" : " badge-warn"),
      c.taken_by_me ? "Yours" : c.taken ? "Taken" : "Waiting"
    );
    state.setAttribute("data-state", "");
    head.appendChild(link);
    head.appendChild(state);
    item.appendChild(head);
    var facts = element("dl", "case-facts");
    var ageCell = fact(facts, "Age", age(c.age_seconds), "age");
    ageCell.setAttribute("data-age", String(c.age_seconds));
    if (c.kind === "theft") {
      fact(facts, "Tracking", TRACKING[c.tracking] || c.tracking, "tracking");
    } else {
      fact(facts, "Type", c.trigger.replace(/_/g, " "), "trigger");
      fact(facts, "Attempts", String(c.attempts), "attempts");
      fact(facts, "Position", position(c), "position");
    }
    item.appendChild(facts);
    item.setAttribute("data-since", String(Date.now() - c.age_seconds * 1000));
    return item;
  }

  function listFor(kind) {
    return queue.querySelector('[data-list="' + (kind === "theft" ? "theft" : "emergency") + '"]');
  }

  function showEmpty(list) {
    var empty = list.parentNode.querySelector("[data-empty]");
    if (empty) {
      empty.hidden = list.children.length > 0;
    }
  }

  function onCase(event) {
    var data = JSON.parse(event.data);
    var c = data.case;
    var list = listFor(c.kind);
    if (!list) {
      return;
    }
    var existing = list.querySelector('[data-case="' + c.id + '"]');
    if (c.state === "closed") {
      if (existing) {
        existing.remove();
      }
    } else if (existing) {
      existing.replaceWith(row(c));
    } else {
      list.insertBefore(row(c), list.firstChild); // newest first
    }
    showEmpty(list);
  }

  function tick() {
    var now = Date.now();
    queue.querySelectorAll("[data-case]").forEach(function (item) {
      var cell = item.querySelector("[data-age]");
      var since = Number(item.getAttribute("data-since"));
      if (!since) {
        since = loaded - Number(cell.getAttribute("data-age")) * 1000;
        item.setAttribute("data-since", String(since));
      }
      cell.textContent = age(Math.max(0, Math.floor((now - since) / 1000)));
    });
  }

  var source = new EventSource(queue.getAttribute("data-stream"));
  source.addEventListener("case", onCase);
  source.addEventListener("open", function () {
    status.textContent = "Live: new cases appear at the top as they come.";
    status.setAttribute("data-live", "on");
  });
  source.addEventListener("error", function () {
    status.textContent = "Reconnecting\u2026";
    status.setAttribute("data-live", "off");
  });
  window.setInterval(tick, 1000);
})();
