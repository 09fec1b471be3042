/* A page that keeps itself current (a car's status) reloads every few seconds, as the element
   with data-auto-refresh says, and offers a button that pauses and resumes it: a person must be
   able to stop a timed change (WCAG 2.2.1), which a meta refresh does not allow. The button's
   words come from the page (data-pause-label, data-resume-label), so they follow its language.
   Without JavaScript the page simply stays as it is, with its Refresh button. */
(function () {
  "use strict";

  var holder = document.querySelector("[data-auto-refresh]");
  if (!holder) {
    return;
  }
  var seconds = parseInt(holder.getAttribute("data-auto-refresh"), 10);
  var target = holder.getAttribute("data-refresh-url") || window.location.pathname;
  if (!(seconds > 0)) {
    return;
  }
  var timer = null;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button-quiet auto-refresh-toggle";

  function start() {
    timer = window.setTimeout(function () {
      window.location.assign(target);
    }, seconds * 1000);
    button.textContent = holder.getAttribute("data-pause-label") || "Pause updates";
  }

  function stop() {
    window.clearTimeout(timer);
    timer = null;
    button.textContent = holder.getAttribute("data-resume-label") || "Resume updates";
  }

  button.addEventListener("click", function () {
    if (timer === null) {
      start();
    } else {
      stop();
    }
  });
  holder.appendChild(document.createTextNode(" "));
  holder.appendChild(button);
  start();
})();
