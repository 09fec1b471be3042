/* The owner app's maps (the car page's "Parked" tile and the Map section), drawn with Leaflet
   (served from /static/vendor/leaflet/). Each [data-lp-map] element says what to draw:

   data-car    the parked car: {"lat", "lon", "label", "parked"}, or null
   data-tiles  an XYZ tile address (LINKPLUS_MAP_TILES_URL), the base map when set
   data-roads  otherwise the platform's own base map: its roads as GeoJSON (this site)
   data-trips  the car's recent trips as GeoJSON (this site), each line naming its trip

   "Show distance from me" asks the browser for the phone's position and says how far the car
   is and in which direction. Everything is fetched from this site or the one tile host the
   security policy allows. Without JavaScript the pages still give the position in words. */
(function () {
  "use strict";

  var L = window.L;
  /* The words come from the page, in the owner's language (the locate button's and the map's
     data-words); the English here is only what shows if a page leaves one out. */
  var COMPASS = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"];

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }
  var ROAD_WEIGHT = { motorway: 4, ring: 3.5, ramp: 2.5, arterial: 3, residential: 1.5 };
  var EARTH_RADIUS_M = 6371008.8;

  function radians(degrees) {
    return (degrees * Math.PI) / 180;
  }

  /* Great-circle distance (haversine) in metres and initial bearing in degrees from a to b. */
  function distanceAndBearing(a, b) {
    var phi1 = radians(a.lat);
    var phi2 = radians(b.lat);
    var dPhi = phi2 - phi1;
    var dLambda = radians(b.lon - a.lon);
    var h = Math.sin(dPhi / 2) * Math.sin(dPhi / 2) +
      Math.cos(phi1) * Math.cos(phi2) * Math.sin(dLambda / 2) * Math.sin(dLambda / 2);
    var metres = 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
    var y = Math.sin(dLambda) * Math.cos(phi2);
    var x = Math.cos(phi1) * Math.sin(phi2) - Math.sin(phi1) * Math.cos(phi2) * Math.cos(dLambda);
    var bearing = ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
    return { metres: metres, bearing: bearing };
  }

  function distanceWords(metres) {
    if (metres < 1000) {
      return Math.round(metres) + " m";
    }
    return (metres / 1000).toFixed(metres < 10000 ? 1 : 0) + " km";
  }

  function readJson(box, name) {
    try {
      return JSON.parse(box.getAttribute(name) || "null");
    } catch (ignored) {
      return null;
    }
  }

  function getGeoJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (answer) {
        if (!answer.ok) {
          throw new Error(url + " answered " + answer.status);
        }
        return answer.json();
      });
  }

  function carIcon() {
    return L.divIcon({
      className: "lp-car-marker",
      html: '<svg viewBox="0 0 32 42" width="32" height="42" aria-hidden="true">' +
        '<path class="pin" d="M16 1C7.7 1 1.5 7.3 1.5 15.4 1.5 26 16 41 16 41s14.5-15 14.5-25.6C30.5 7.3 24.3 1 16 1z"/>' +
        '<path class="car" d="M8.5 18.5l1.6-4.2a2 2 0 0 1 1.9-1.3h8a2 2 0 0 1 1.9 1.3l1.6 4.2v3.5h-15z"/>' +
        "</svg>",
      iconSize: [32, 42],
      iconAnchor: [16, 41],
      tooltipAnchor: [0, -36]
    });
  }

  function draw(box) {
    var car = readJson(box, "data-car");
    var tiles = box.getAttribute("data-tiles");
    var roadsUrl = box.getAttribute("data-roads");
    var tripsUrl = box.getAttribute("data-trips");
    var small = box.classList.contains("lp-map-small");
    var tripWords = readJson(box, "data-trip-words") || {};
    var map = L.map(box, {
      attributionControl: Boolean(tiles),
      scrollWheelZoom: !small,
      keyboard: !small, // the small map is a picture; the Map section's map takes the keys
      zoomControl: !small,
      dragging: !small || !L.Browser.mobile,
      zoomSnap: 0.5
    });
    var bounds = L.latLngBounds([]);
    var roadBounds = null;
    var waiting = 0;

    var phone = null;

    /* The car, the trips and (once known) the phone's position in view; without any of them,
       the roads. Not animated: the view is where it ends up at once. */
    function fit() {
      var view = L.latLngBounds(bounds.getSouthWest(), bounds.getNorthEast());
      if (phone) {
        view.extend(phone);
      }
      if (!view.isValid()) {
        if (roadBounds && roadBounds.isValid()) {
          map.fitBounds(roadBounds, { animate: false });
        }
        return;
      }
      if (small && car) {
        map.setView([car.lat, car.lon], 15, { animate: false });
        return;
      }
      map.fitBounds(view, { padding: [28, 28], maxZoom: phone ? 17 : 16, animate: false });
    }

    function done() {
      waiting -= 1;
      if (waiting === 0) {
        fit();
        box.setAttribute("data-ready", "true");
      }
    }

    function failed(error) {
      box.setAttribute("data-error", String(error.message || error));
      done();
    }

    map.createPane("roads").style.zIndex = "350";
    if (car) {
      map.setView([car.lat, car.lon], small ? 15 : 14);
    } else {
      map.setView([0, 0], 2);
    }
    if (tiles) {
      var layer = L.tileLayer(tiles, { maxZoom: 19, attribution: new URL(tiles.replace(/[{}]/g, "")).host });
      layer.on("tileload", function () {
        box.setAttribute("data-tiles-loaded", "true");
      });
      layer.addTo(map);
    } else if (roadsUrl) {
      waiting += 1;
      getGeoJson(roadsUrl).then(function (roads) {
        var count = 0;
        var layer = L.geoJSON(roads, {
          pane: "roads",
          interactive: false,
          style: function (feature) {
            var kind = feature.properties.kind;
            count += feature.geometry.coordinates.length;
            return { className: "lp-road lp-road-" + kind, weight: ROAD_WEIGHT[kind] || 1.5 };
          }
        }).addTo(map);
        roadBounds = layer.getBounds();
        box.classList.add("lp-map-roads");
        box.setAttribute("data-roads-drawn", String(count));
        done();
      }, failed);
    }

    if (car) {
      bounds.extend([car.lat, car.lon]);
      L.marker([car.lat, car.lon], { icon: carIcon(), keyboard: false, alt: car.label })
        .bindTooltip(car.label + (car.parked ? " · " + car.parked : ""))
        .addTo(map);
      box.setAttribute("data-car-drawn", "true");
    }

    if (tripsUrl) {
      waiting += 1;
      getGeoJson(tripsUrl).then(function (collection) {
        var order = [];
        var lines = 0;
        L.geoJSON(collection, {
          style: function (feature) {
            var trip = feature.properties.trip;
            if (order.indexOf(trip) < 0) {
              order.push(trip);
            }
            lines += 1;
            return {
              className: "lp-trip lp-trip-" + order.indexOf(trip) + (feature.properties.rebuilt ? " lp-trip-rebuilt" : ""),
              weight: 4
            };
          },
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, {
              className: "lp-trip-" + feature.properties.role,
              radius: 4,
              weight: 2
            });
          },
          onEachFeature: function (feature, layer) {
            var about = feature.properties;
            layer.bindTooltip(about.started_at.slice(0, 16).replace("T", " ") + " · " +
              about.distance_km + " km · " + fill(tripWords.score || "score {score}", { score: about.score }));
          }
        }).eachLayer(function (layer) {
          if (layer.getBounds) {
            bounds.extend(layer.getBounds());
          }
        }).addTo(map);
        box.setAttribute("data-trips-drawn", String(order.length));
        box.setAttribute("data-trip-lines", String(lines));
        done();
      }, failed);
    }

    if (waiting === 0) {
      fit();
      box.setAttribute("data-ready", "true");
    }
    L.control.scale({ imperial: false }).addTo(map);
    return {
      map: map,
      car: car,
      showPhone: function (latlng) {
        phone = latlng;
        fit();
      }
    };
  }

  function locate(drawn) {
    var button = document.querySelector("[data-lp-locate]");
    var line = document.querySelector("[data-lp-distance]");
    if (!button || !line || !drawn || !drawn.car || !navigator.geolocation) {
      return;
    }
    var me = null;
    var path = null;
    var words = readJson(button, "data-words") || {};
    var compass = words.compass && words.compass.length === 8 ? words.compass : COMPASS;

    function show(position) {
      var phone = { lat: position.coords.latitude, lon: position.coords.longitude };
      var way = distanceAndBearing(phone, drawn.car);
      line.textContent = fill(words.found || "Your car is {distance} away, to the {direction} ({bearing}°).", {
        distance: distanceWords(way.metres),
        direction: compass[Math.round(way.bearing / 45) % 8],
        bearing: Math.round(way.bearing)
      });
      line.setAttribute("data-metres", String(Math.round(way.metres)));
      line.setAttribute("data-bearing", String(Math.round(way.bearing)));
      if (me) {
        me.remove();
        path.remove();
      }
      me = L.circleMarker([phone.lat, phone.lon], { className: "lp-me", radius: 7, weight: 3 })
        .bindTooltip(words.here || "You are here")
        .addTo(drawn.map);
      path = L.polyline([[phone.lat, phone.lon], [drawn.car.lat, drawn.car.lon]], {
        className: "lp-me-path",
        weight: 2,
        interactive: false
      }).addTo(drawn.map);
      drawn.showPhone([phone.lat, phone.lon]);
      drawn.map.getContainer().setAttribute("data-located", "true");
      button.textContent = words.again || "Update distance";
    }

    function refused(error) {
      line.textContent = error.code === 1
        ? words.refused || "The browser may not use your position. Allow it in the browser's settings to see the distance."
        : words.unknown || "Your position could not be found just now. Try again in a moment.";
    }

    function ask() {
      line.textContent = words.finding || "Finding your position…";
      navigator.geolocation.getCurrentPosition(show, refused, {
        enableHighAccuracy: true,
        timeout: 15000,
        maximumAge: 30000
      });
    }

    button.hidden = false;
    button.addEventListener("click", ask);
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions.query({ name: "geolocation" }).then(function (state) {
        if (state.state === "granted") {
          ask();
        }
      }, function () { return undefined; });
    }
  }

  if (!L) {
    return;
  }
  var first = null;
  document.querySelectorAll("[data-lp-map]").forEach(function (box) {
    var drawn = draw(box);
    first = first || drawn;
  });
  locate(first);
})();
