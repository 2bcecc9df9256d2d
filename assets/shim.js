/*
 * superapp shim: the page's one door into the host. Injected by the host into the app's
 * top-level document before any page script runs (main world).
 *
 *   window.callNative(api, params) -> Promise<result>
 *   window.superapp.storage        getItem/setItem/removeItem/clear/key/keys/length, async,
 *                                  over storage.* (the encrypted store)
 *   window.superapp.lifecycle      state ("shown"/"hidden"), addEventListener("show"|"hide", fn),
 *                                  removeEventListener: the app going to the background and
 *                                  back; saveState(value)/restored(): the hand-over when the
 *                                  host discards the app's process (docs/lifecycle.md)
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
  var stringify = JSON.stringify;
  var CustomEv = CustomEvent, Prom = Promise;
  var nextId = 1, ready = false, queue = [], pending = new Map();
  @include shim-common.js
  @include shim-call.js

  function send(text) {
    dispatch.call(doc, new CustomEv(CALL, { detail: text }));
  }
  listen.call(doc, READY, function () {
    if (ready) return;
    ready = true;
    var q = queue;
    queue = [];
    for (var i = 0; i < q.length; i++) send(q[i]);
  });
  listen.call(doc, REPLY, function (ev) {
    shared.settle(pending, ev.detail, function (msg) { return msg.result; });
  });

  function callNative(api, params) {
    return new Prom(function (resolve, reject) {
      var text;
      try { text = callText(nextId, api, params); } catch (e) { reject(e); return; }
      var id = nextId++;
      pending.set(id, { resolve: resolve, reject: reject });
      if (ready) send(text);
      else queue.push(text);
    });
  }
  Object.defineProperty(window, "callNative", {
    value: callNative, writable: false, configurable: false, enumerable: false,
  });
  // window.superapp.storage: localStorage's method names over the host's encrypted store
  // (storage.*, capability "storage"), so state an app keeps across launches is encrypted
  // with its own key. Async, because every call crosses to the host: await each call.
  // The engine's own localStorage is kept in memory only (docs/storage.md).
  var Str = String, freeze = Object.freeze, isArray = Array.isArray;
  function asText(v) {
    if (v === null || v === undefined) return null;
    return typeof v === "string" ? v : stringify(v);
  }
  function done() { return undefined; }
  function allKeys() {
    return callNative("storage.keys", {}).then(function (k) { return isArray(k) ? k : []; });
  }
  var storage = freeze({
    getItem: function (key) {
      return callNative("storage.get", { key: Str(key) }).then(asText);
    },
    setItem: function (key, value) {
      return callNative("storage.set", { key: Str(key), value: Str(value) }).then(done);
    },
    removeItem: function (key) {
      return callNative("storage.remove", { key: Str(key) }).then(done);
    },
    clear: function () { return callNative("storage.clear", {}).then(done); },
    keys: allKeys,
    key: function (index) {
      return allKeys().then(function (k) { return index >= 0 && index < k.length ? k[index] : null; });
    },
    length: function () { return allKeys().then(function (k) { return k.length; }); },
  });
  // window.superapp.lifecycle: "show" and "hide" (W3C MiniApp Lifecycle's names), sent by the
  // host from the relay's isolated world as a DOM event. A hidden app may be frozen next (its
  // timers stop until it is resumed) or discarded (its page reloaded on resume, with
  // document.wasDiscarded set): save what must survive in a "hide" handler, synchronously.
  var LIFE = "superapp:lifecycle", lifeState = "shown", handlers = { show: [], hide: [] };
  var later = setTimeout;
  listen.call(doc, LIFE, function (ev) {
    var kind = ev.detail;
    if (kind !== "show" && kind !== "hide") return;
    lifeState = kind === "show" ? "shown" : "hidden";
    var list = handlers[kind].slice();
    var info = freeze({ type: kind, wasDiscarded: doc.wasDiscarded === true });
    for (var i = 0; i < list.length; i++) {
      try { list[i].call(null, info); } catch (e) { later(function () { throw e; }); }
    }
  });
  function handlerList(type, fn) {
    if (type !== "show" && type !== "hide") throw new TypeError("lifecycle events are show and hide");
    if (typeof fn !== "function") throw new TypeError("listener must be a function");
    return handlers[type];
  }
  // saveState/restored: the hand-over for a process-level discard (ADR 0014). Only plain data
  // crosses: JSON.stringify would silently drop a function or turn a Date into text, so such
  // values are refused here (the runtime and the host check again; this is for the developer).
  var lifecycle = freeze({
    get state() { return lifeState; },
    saveState: function (value) {
      try { shared.plain(value, 0, "saveState"); } catch (e) {
        return Prom.reject(shared.fail("INVALID_PARAMS", e.message));
      }
      return callNative("lifecycle.saveState", { state: value }).then(done);
    },
    restored: function () { return callNative("lifecycle.restored", {}); },
    addEventListener: function (type, fn) {
      var list = handlerList(type, fn);
      if (list.indexOf(fn) < 0) list.push(fn);
    },
    removeEventListener: function (type, fn) {
      var list = handlerList(type, fn), at = list.indexOf(fn);
      if (at >= 0) list.splice(at, 1);
    },
  });
  Object.defineProperty(window, "superapp", {
    value: freeze({ storage: storage, lifecycle: lifecycle }),
    writable: false, configurable: false, enumerable: false,
  });
  // The relay may already be up (it starts at document creation too): ask.
  dispatch.call(doc, new CustomEv(HELLO));
})();
