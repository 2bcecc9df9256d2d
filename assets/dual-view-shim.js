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
  var MAX_DEPTH = 32;
  var doc = document;
  var dispatch = EventTarget.prototype.dispatchEvent;
  var listen = EventTarget.prototype.addEventListener;
  var stringify = JSON.stringify, parse = JSON.parse;
  var CustomEv = CustomEvent, Err = Error, TypeErr = TypeError, Prom = Promise;
  var getProto = Object.getPrototypeOf, keysOf = Object.keys, isArray = Array.isArray;
  var ObjProto = Object.prototype, isFinite_ = Number.isFinite;
  var nextId = 1, ready = false, queue = [], pending = new Map(), handlers = [], early = [];

  function plain(value, depth) {
    if (depth > MAX_DEPTH) throw new TypeErr("postToLogic: a message may be nested at most " + MAX_DEPTH + " deep");
    var t = typeof value;
    if (value === null || t === "string" || t === "boolean") return;
    if (t === "number") {
      if (!isFinite_(value)) throw new TypeErr("postToLogic: numbers must be finite");
      return;
    }
    if (t !== "object") throw new TypeErr("postToLogic: a message may hold plain data only, not " + t);
    if (isArray(value)) {
      for (var i = 0; i < value.length; i++) plain(value[i], depth + 1);
      return;
    }
    var proto = getProto(value);
    if (proto !== ObjProto && proto !== null) {
      throw new TypeErr("postToLogic: a message may hold plain objects only");
    }
    var k = keysOf(value);
    for (var j = 0; j < k.length; j++) plain(value[k[j]], depth + 1);
  }
  function send(text) { dispatch.call(doc, new CustomEv(POST, { detail: text })); }
  function fail(code, message) { var e = new Err(message); e.code = code; return e; }
  listen.call(doc, READY, function () {
    if (ready) return;
    ready = true;
    var q = queue;
    queue = [];
    for (var i = 0; i < q.length; i++) send(q[i]);
  });
  listen.call(doc, ACK, function (ev) {
    var msg;
    try { msg = parse(ev.detail); } catch (_) { return; }
    if (!msg || typeof msg.id !== "number") return;
    var p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok === true) p.resolve(undefined);
    else {
      var err = msg.error || {};
      p.reject(fail(String(err.code || "INTERNAL"), String(err.message || "internal error")));
    }
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
    plain(message, 1);  // throws TypeError now, before any promise: a programming error
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
