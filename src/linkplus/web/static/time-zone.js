// The sign-up form's hidden time_zone field gets the browser's own IANA time zone, so times in
// the app are shown where the owner lives. Without this script the field stays empty and the
// platform takes the main time zone of the country chosen in the form.
"use strict";
(function () {
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (ignored) {
    zone = "";
  }
  if (!zone) {
    return;
  }
  var fields = document.querySelectorAll("input[data-browser-time-zone]");
  for (var i = 0; i < fields.length; i += 1) {
    if (!fields[i].value) {
      fields[i].value = zone;
    }
  }
})();
