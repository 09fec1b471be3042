/* The phone key of the Digital key pages (docs/keys.md).
 *
 * The phone's key pair is made here with WebCrypto: ECDSA P-256, the private key created
 * non-extractable, both CryptoKey objects kept in IndexedDB (one pair per account signed in on
 * this browser, named by [data-phone-key]). The platform only ever gets the public key: the
 * uncompressed point (65 bytes, WebCrypto's raw export) in unpadded base64url, put in the
 * hidden public_key field of each form marked [data-needs-phone-key].
 *
 * "Use key" is the short-range exchange with the car: ask for the car's challenge, sign
 * "linkplus-key-challenge|v1|<VIN>|<nonce>" with the stored private key (WebCrypto's raw r||s
 * signature), hand the answer to the car and say what the car answered.
 */
(function () {
  "use strict";

  var DB_NAME = "linkplus-keys";
  var STORE = "phone";
  var LABEL = "linkplus-key-challenge|v1|";

  var holder = document.querySelector("[data-phone-key]");
  if (!holder) {
    return;
  }
  var slot = holder.getAttribute("data-phone-key");

  function say(name) {
    return holder.getAttribute("data-say-" + name) || "";
  }

  function b64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) {
      text += String.fromCharCode(bytes[i]);
    }
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function openStore() {
    return new Promise(function (resolve, reject) {
      var request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE);
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  function stored(db) {
    return new Promise(function (resolve, reject) {
      var request = db.transaction(STORE, "readonly").objectStore(STORE).get(slot);
      request.onsuccess = function () {
        resolve(request.result || null);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  function keep(db, pair) {
    return new Promise(function (resolve, reject) {
      var transaction = db.transaction(STORE, "readwrite");
      transaction.objectStore(STORE).put({ privateKey: pair.privateKey, publicKey: pair.publicKey }, slot);
      transaction.oncomplete = function () {
        resolve(pair);
      };
      transaction.onerror = function () {
        reject(transaction.error);
      };
    });
  }

  // This account's key pair on this browser: the stored one, or a new one (kept before use).
  function phoneKey() {
    if (!window.crypto || !window.crypto.subtle || !window.indexedDB) {
      return Promise.reject(new Error(say("no-crypto")));
    }
    return openStore().then(function (db) {
      return stored(db).then(function (found) {
        if (found) {
          return found;
        }
        return window.crypto.subtle
          .generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
          .then(function (pair) {
            return keep(db, pair);
          });
      });
    });
  }

  function showProblem(text) {
    var alert = document.createElement("p");
    alert.className = "alert";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    holder.parentNode.insertBefore(alert, holder);
  }

  var forms = document.querySelectorAll("form[data-needs-phone-key]");
  var useButtons = document.querySelectorAll("[data-use-key]");

  phoneKey()
    .then(function (pair) {
      return window.crypto.subtle.exportKey("raw", pair.publicKey).then(function (raw) {
        var publicKey = b64url(raw);
        forms.forEach(function (form) {
          form.querySelector('input[name="public_key"]').value = publicKey;
          form.querySelector('button[type="submit"]').disabled = false;
        });
        useButtons.forEach(function (button) {
          button.disabled = false;
          button.addEventListener("click", function () {
            useKey(button, pair.privateKey);
          });
        });
      });
    })
    .catch(function (error) {
      showProblem(error && error.message ? error.message : say("no-crypto"));
    });

  // --- use key ------------------------------------------------------------------------------

  function token() {
    var field = document.querySelector("form[data-key-token] input[type=hidden]");
    return field ? field.value : "";
  }

  function post(address, body) {
    return window
      .fetch(address, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-CSRF-Token": token()
        },
        body: JSON.stringify(body || {})
      })
      .then(function (response) {
        return response.json().then(
          function (data) {
            if (!response.ok) {
              throw new Error((data && data.detail) || say("failed"));
            }
            return data;
          },
          function () {
            throw new Error(say("failed"));
          }
        );
      });
  }

  function carAnswer(reason) {
    var answers = document.querySelector("[data-car-answers]");
    var text = answers ? answers.getAttribute("data-" + reason.replace(/_/g, "-")) : null;
    return text || reason;
  }

  function useKey(button, privateKey) {
    var keyId = button.getAttribute("data-use-key");
    var out = document.querySelector('[data-answer-for="' + keyId + '"]');
    button.disabled = true;
    out.textContent = say("working");
    out.removeAttribute("data-reason");
    post("/keys/" + keyId + "/challenge")
      .then(function (challenge) {
        var text = new TextEncoder().encode(LABEL + challenge.vin + "|" + challenge.nonce);
        return window.crypto.subtle
          .sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, text)
          .then(function (signature) {
            return post("/keys/" + keyId + "/present", {
              nonce: challenge.nonce,
              response: b64url(signature)
            });
          });
      })
      .then(function (answer) {
        out.textContent = carAnswer(answer.reason);
        out.setAttribute("data-reason", answer.reason);
      })
      .catch(function (error) {
        out.textContent = error && error.message ? error.message : say("failed");
        out.setAttribute("data-reason", "error");
      })
      .then(function () {
        button.disabled = false;
      });
  }
})();
