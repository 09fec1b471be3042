/* The linkplus service worker: keeps the app's shell (the offline page, the stylesheet, the
   icons and this site's own scripts) so that, with no network, a page that cannot be loaded
   is answered with "You are offline" instead of the browser's error; and shows the platform's
   Web Push notifications.

   Owner pages are never cached: they hold personal data and are sent with "no-store". A page
   is always asked of the network; the shell's files are too (so a new stylesheet shows at
   once), and their cached copies are used only when the network fails. Bump SHELL_CACHE when
   the list changes: the old cache is deleted when the new worker takes over. */
"use strict";

var SHELL_CACHE = "linkplus-shell-v1";
var OFFLINE_URL = "/offline";
var SHELL = [
  "/offline",
  "/static/web.css",
  "/static/icon.svg",
  "/static/push.js",
  "/static/icons/icon.svg",
  "/static/icons/icon-192.png",
  "/manifest.webmanifest"
];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then(function (cache) {
        return cache.addAll(
          SHELL.map(function (path) {
            return new Request(path, { cache: "reload" });
          })
        );
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("linkplus-") === 0 && name !== SHELL_CACHE;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function offlinePage() {
  return caches.match(OFFLINE_URL).then(function (page) {
    return page || Response.error();
  });
}

function shellFile(request, path) {
  return fetch(request)
    .then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(SHELL_CACHE).then(function (cache) {
          return cache.put(path, copy);
        });
      }
      return response;
    })
    .catch(function () {
      return caches.match(path).then(function (kept) {
        return kept || Response.error();
      });
    });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    // A page, or a form sent as one (then it did not reach the server: the page says so).
    event.respondWith(fetch(request).catch(offlinePage));
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (url.search === "" && SHELL.indexOf(url.pathname) !== -1) {
    event.respondWith(shellFile(request, url.pathname));
  }
  // Everything else (the API, the command streams, other static files) goes to the network
  // untouched, as if there were no worker.
});

self.addEventListener("push", function (event) {
  var message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (ignored) {
    message = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(message.title || "linkplus", {
      body: message.body || "",
      icon: "/static/icons/icon-192.png",
      badge: "/static/icons/icon-192.png",
      tag: message.id || undefined,
      data: { link: message.link || "/notifications" }
    })
  );
});

function samePlace(link) {
  try {
    var target = new URL(link, self.location.origin);
    return target.origin === self.location.origin ? target.href : null;
  } catch (ignored) {
    return null;
  }
}

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var link = (event.notification.data && event.notification.data.link) || "/notifications";
  // Only this site's pages: a notification cannot send the owner anywhere else.
  var target = samePlace(link) || new URL("/notifications", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i += 1) {
        if (windows[i].url === target && "focus" in windows[i]) {
          return windows[i].focus();
        }
      }
      return self.clients.openWindow(target);
    })
  );
});
