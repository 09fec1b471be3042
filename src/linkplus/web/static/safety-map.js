/* The safety maps: a case's position, or a theft's trail, drawn with Leaflet (served from
   /static/vendor/leaflet/) on a plain background. No map tiles are loaded, so the page works
   without internet; the page links to OpenStreetMap for those who are online. Without
   JavaScript the page still gives the coordinates in words. */
(function () {
  "use strict";

  function draw(box) {
    var points = JSON.parse(box.getAttribute("data-points") || "[]");
    if (!points.length) {
      return;
    }
    // The box is an image of the position or trail (role="img", with the positions also given in
    // words): no keyboard panning and no zoom buttons, so nothing focusable sits inside it.
    var map = window.L.map(box, {
      attributionControl: false,
      zoomControl: false,
      keyboard: false,
      scrollWheelZoom: false,
      zoomSnap: 0.5
    });
    var latlngs = points.map(function (point) {
      return [point.lat, point.lon];
    });
    if (latlngs.length > 1) {
      window.L.polyline(latlngs, { className: "map-trail", weight: 4 }).addTo(map);
    }
    latlngs.forEach(function (latlng, index) {
      var latest = index === latlngs.length - 1;
      window.L.circleMarker(latlng, {
        className: latest ? "map-latest" : "map-point",
        radius: latest ? 9 : 4,
        weight: 2
      })
        .bindTooltip((latest ? "Latest: " : "") + points[index].at)
        .addTo(map);
    });
    if (latlngs.length === 1) {
      map.setView(latlngs[0], 16);
    } else {
      map.fitBounds(window.L.latLngBounds(latlngs), { padding: [28, 28], maxZoom: 17 });
    }
    window.L.control.scale({ imperial: false }).addTo(map);
    box.setAttribute("data-drawn", String(latlngs.length));
  }

  if (!window.L) {
    return;
  }
  document.querySelectorAll("[data-map]").forEach(draw);
})();
