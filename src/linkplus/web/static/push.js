/* Installable app and push: registers the service worker (/sw.js, the whole site in scope) on
   every page, and on the Account page offers to turn on push notifications for this browser.

   Turning push on: the browser asks the owner for permission, subscribes with the platform's
   VAPID public key (/api/v1/push/public-key) and the subscription is posted to
   /account/push-subscriptions with the page's form token. Turning it off unsubscribes and tells
   the platform. Without this file, or in a browser without service workers or push, the pages
   work as before and nothing is offered. */
(function () {
  "use strict";

  if (!("serviceWorker" in navigator)) {
    return;
  }
  var registered = navigator.serviceWorker.register("/sw.js", { scope: "/" });
  registered.catch(function () {
    /* No worker (a private window, a blocked script): the site still works online. */
  });

  var preferences = document.querySelector('form[action="/account/notifications"]');
  if (!preferences || !("PushManager" in window) || !("Notification" in window)) {
    return;
  }
  /* The words, in the owner's language, come from the form (data-push-words); the English here
     is only what shows if the page leaves one out. */
  var words = {};
  try {
    words = JSON.parse(preferences.getAttribute("data-push-words") || "{}");
  } catch (ignored) {
    words = {};
  }
  function say(name, english) {
    return words[name] || english;
  }
  var tokenField = preferences.querySelector('input[name="csrf_token"]');
  var token = tokenField ? tokenField.value : "";

  var box = document.createElement("div");
  box.className = "push-optin";
  box.setAttribute("data-push-optin", "");
  var state = document.createElement("p");
  state.setAttribute("role", "status");
  state.setAttribute("data-push-state", "");
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button-quiet";
  button.setAttribute("data-push-button", "");
  box.appendChild(state);
  box.appendChild(button);
  preferences.parentNode.insertBefore(box, preferences);

  function show(message, label, on) {
    state.textContent = message;
    button.textContent = label;
    button.setAttribute("data-on", on ? "true" : "false");
    button.disabled = false;
  }

  function showOn() {
    show(
      say("on", "Push notifications are on for this browser."),
      say("turn_off", "Turn off push on this device"),
      true
    );
  }

  function showOff() {
    show(
      say("offer", "Get your car's alerts on this device even when the app is closed."),
      say("turn_on", "Turn on push on this device"),
      false
    );
  }

  function failed(message) {
    state.textContent = message;
    button.disabled = false;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+")
      .replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function problemText(response, fallback) {
    return response
      .json()
      .then(function (problem) {
        return (problem && problem.detail) || fallback;
      })
      .catch(function () {
        return fallback;
      });
  }

  function tellPlatform(method, subscription) {
    var init = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": token }
    };
    if (method === "POST") {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(subscription.toJSON());
    }
    var address = "/account/push-subscriptions";
    if (method === "DELETE") {
      address += "?endpoint=" + encodeURIComponent(subscription.endpoint);
    }
    return window.fetch(address, init).then(function (response) {
      if (response.ok) {
        return response;
      }
      return problemText(response, say("not_taken", "The server did not take it. Reload the page and try again."))
        .then(function (text) {
          throw new Error(text);
        });
    });
  }

  function turnOn(registration) {
    return Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") {
          throw new Error(
            say(
              "blocked",
              "Your browser blocks notifications from this site. Allow them in the browser's " +
                "site settings, then try again."
            )
          );
        }
        return window.fetch("/api/v1/push/public-key", { headers: { Accept: "application/json" } });
      })
      .then(function (response) {
        if (!response.ok) {
          return problemText(response, say("no_push", "This server does not send push notifications.")).then(
            function (text) {
              throw new Error(text);
            }
          );
        }
        return response.json();
      })
      .then(function (key) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(key.public_key)
        });
      })
      .then(function (subscription) {
        return tellPlatform("POST", subscription);
      })
      .then(showOn);
  }

  function turnOff(registration) {
    return registration.pushManager.getSubscription().then(function (subscription) {
      if (!subscription) {
        showOff();
        return null;
      }
      return tellPlatform("DELETE", subscription)
        .catch(function () {
          /* Not known to the platform any more: unsubscribing the browser is what counts. */
        })
        .then(function () {
          return subscription.unsubscribe();
        })
        .then(showOff);
    });
  }

  button.disabled = true;
  button.textContent = say("turn_on", "Turn on push on this device");
  navigator.serviceWorker.ready
    .then(function (registration) {
      button.addEventListener("click", function () {
        button.disabled = true;
        var on = button.getAttribute("data-on") === "true";
        (on ? turnOff(registration) : turnOn(registration)).catch(function (error) {
          // Our own messages are Errors; the browser's (a push service it cannot reach, say)
          // are DOMExceptions, whose text is meant for developers.
          var ours = error && error.constructor === Error && error.message;
          failed(ours || say("failed", "This browser could not turn on push. Try again later."));
        });
      });
      return registration.pushManager.getSubscription();
    })
    .then(function (subscription) {
      if (subscription) {
        showOn();
      } else {
        showOff();
      }
    })
    .catch(function () {
      box.hidden = true;
    });
})();
