/*
 * superapp dual mode, the view's shim (main world of the visible page). Injected by the host
 * before any page script runs. The view has no callNative: it talks to the app's logic only.
 *
 *   window.postToLogic(message) -> Promise<void>   resolves once the host delivered it
 *   window.onLogicMessage(callback)                 callback(message) for each logic message
 *
 * Messages are plain data (objects, arrays, strings, finite numbers, booleans, null), at most
 * 64 KiB as JSON and 32 levels deep; anything else throws TypeError here, and the host checks
 * again (the wall is there, not here) and refuses with PAYLOAD_TOO_LARGE / INVALID_PARAMS.
 * This script holds no capability: it relays JSON text to an isolated script world that the
 * page cannot reach, which holds a channel with one object that carries messages only.
 */
(function () {
  "use strict";
  if (Object.prototype.hasOwnProperty.call(window, "postToLogic")) return;
  var POST = "superapp:view-post", ACK = "superapp:view-ack", DATA = "superapp:view-data";
  var READY = "superapp:view-ready", HELLO = "superapp:view-hello";
  var doc = document;
  var dispatch = EventTarget.prototype.dispatchEvent;
  var listen = EventTarget.prototype.addEventListener;
  var stringify = JSON.stringify, parse = JSON.parse;
  var CustomEv = CustomEvent, TypeErr = TypeError, Prom = Promise;
  var nextId = 1, ready = false, queue = [], pending = new Map(), handlers = [], early = [];
  @include shim-common.js

  function send(text) { dispatch.call(doc, new CustomEv(POST, { detail: text })); }
  listen.call(doc, READY, function () {
    if (ready) return;
    ready = true;
    var q = queue;
    queue = [];
    for (var i = 0; i < q.length; i++) send(q[i]);
  });
  listen.call(doc, ACK, function (ev) {
    shared.settle(pending, ev.detail, function () { return undefined; });
  });
  function deliver(value) {
    for (var i = 0; i < handlers.length; i++) {
      try { handlers[i](value); } catch (e) { setTimeout(function () { throw e; }); }
    }
  }
  listen.call(doc, DATA, function (ev) {
    if (typeof ev.detail !== "string") return;
    var value;
    try { value = parse(ev.detail); } catch (_) { return; }
    if (handlers.length === 0) { if (early.length < 256) early.push(value); return; }
    deliver(value);
  });

  function postToLogic(message) {
    shared.plain(message, 1, "postToLogic");  // throws TypeError now, before any promise: a programming error
    return new Prom(function (resolve, reject) {
      var id = nextId++;
      var text = stringify({ id: id, data: message });
      pending.set(id, { resolve: resolve, reject: reject });
      if (ready) send(text);
      else queue.push(text);
    });
  }
  function onLogicMessage(callback) {
    if (typeof callback !== "function") throw new TypeErr("onLogicMessage needs a function");
    handlers.push(callback);
    if (early.length) {
      var q = early;
      early = [];
      for (var i = 0; i < q.length; i++) deliver(q[i]);
    }
  }
  Object.defineProperty(window, "postToLogic", {
    value: postToLogic, writable: false, configurable: false, enumerable: false,
  });
  Object.defineProperty(window, "onLogicMessage", {
    value: onLogicMessage, writable: false, configurable: false, enumerable: false,
  });
  dispatch.call(doc, new CustomEv(HELLO));
})();
