/*
 * superapp shim: the page's one door into the host. Injected by the host into the app's
 * top-level document before any page script runs (main world).
 *
 *   window.callNative(api, params) -> Promise<result>
 *
 * Rejections are Error objects with a string `.code` (UNKNOWN_API, INVALID_PARAMS,
 * PERMISSION_DENIED, CONSENT_DENIED, RATE_LIMITED, QUOTA_EXCEEDED, PAYLOAD_TOO_LARGE,
 * NETWORK_BLOCKED, REVOKED, INTERNAL) and a human `.message`.
 *
 * This script holds no capability: it only relays JSON text to an isolated script world the
 * page cannot reach, which holds the channel to the host. Replacing or wrapping callNative
 * gains a page nothing it did not have. Calls made before the relay is ready are queued.
 */
(function () {
  "use strict";
  if (Object.prototype.hasOwnProperty.call(window, "callNative")) return;
  var CALL = "superapp:call", REPLY = "superapp:reply", READY = "superapp:ready", HELLO = "superapp:hello";
  var doc = document;
  var dispatch = EventTarget.prototype.dispatchEvent;
  var listen = EventTarget.prototype.addEventListener;
  var stringify = JSON.stringify, parse = JSON.parse;
  var CustomEv = CustomEvent, Err = Error, Prom = Promise;
  var nextId = 1, ready = false, queue = [], pending = new Map();

  function send(text) {
    dispatch.call(doc, new CustomEv(CALL, { detail: text }));
  }
  function fail(code, message) {
    var e = new Err(message);
    e.code = code;
    return e;
  }
  listen.call(doc, READY, function () {
    if (ready) return;
    ready = true;
    var q = queue;
    queue = [];
    for (var i = 0; i < q.length; i++) send(q[i]);
  });
  listen.call(doc, REPLY, function (ev) {
    var msg;
    try { msg = parse(ev.detail); } catch (_) { return; }
    if (!msg || typeof msg.id !== "number") return;
    var p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok === true) p.resolve(msg.result);
    else {
      var err = msg.error || {};
      p.reject(fail(String(err.code || "INTERNAL"), String(err.message || "internal error")));
    }
  });

  function callNative(api, params) {
    return new Prom(function (resolve, reject) {
      if (typeof api !== "string") {
        reject(fail("INVALID_PARAMS", "api must be a string"));
        return;
      }
      var text;
      try {
        text = stringify({ id: nextId, api: api, params: params === undefined ? {} : params });
      } catch (e) {
        reject(fail("INVALID_PARAMS", "params must be JSON-serialisable"));
        return;
      }
      var id = nextId++;
      pending.set(id, { resolve: resolve, reject: reject });
      if (ready) send(text);
      else queue.push(text);
    });
  }
  Object.defineProperty(window, "callNative", {
    value: callNative, writable: false, configurable: false, enumerable: false,
  });
  // The relay may already be up (it starts at document creation too): ask.
  dispatch.call(doc, new CustomEv(HELLO));
})();
