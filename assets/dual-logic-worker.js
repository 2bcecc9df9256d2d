/*
 * superapp dual mode, the logic context's shim: the first lines of the dedicated worker that
 * runs the app's logic scripts (served by the host at /__superapp/logic-worker.js, followed by
 * the manifest's superapp.logic scripts in order). A worker has no document and no window.
 *
 *   callNative(api, params) -> Promise<result>    the one door (errors as in the page shim)
 *   postToView(message) -> Promise<void>           plain data to the view
 *   onViewMessage(callback)                        callback(message) for each view message
 *
 * Before the app's scripts run, this removes what a logic context must not have: connections
 * of its own (fetch, XHR, WebSocket, ...; net.request goes through callNative) and the places
 * the same-origin view could also reach (IndexedDB, Cache Storage, BroadcastChannel, the
 * origin-private file system, Web Locks), so the
 * view can change the logic's state only through messages the logic accepts.
 *
 * __SUPERAPP_LOGIC_SCRIPTS__ is replaced by the host with a JSON array of the script paths.
 */
(function (g) {
  "use strict";
  var MAX_DEPTH = 32;
  var post = g.postMessage, importer = g.importScripts, listen = g.addEventListener;
  var stringify = JSON.stringify, parse = JSON.parse;
  var Err = Error, TypeErr = TypeError, Prom = Promise;
  var getProto = Object.getPrototypeOf, keysOf = Object.keys, isArray = Array.isArray;
  var ObjProto = Object.prototype, isFinite_ = Number.isFinite, hasOwn = Object.prototype.hasOwnProperty;
  var defineProperty = Object.defineProperty;
  var nextId = 1, calls = new Map(), posts = new Map(), handlers = [], early = [];

  function send(t, text) { post.call(g, { t: t, text: text }); }
  function fail(code, message) { var e = new Err(message); e.code = code; return e; }
  function plain(value, depth) {
    if (depth > MAX_DEPTH) throw new TypeErr("postToView: a message may be nested at most " + MAX_DEPTH + " deep");
    var t = typeof value;
    if (value === null || t === "string" || t === "boolean") return;
    if (t === "number") {
      if (!isFinite_(value)) throw new TypeErr("postToView: numbers must be finite");
      return;
    }
    if (t !== "object") throw new TypeErr("postToView: a message may hold plain data only, not " + t);
    if (isArray(value)) {
      for (var i = 0; i < value.length; i++) plain(value[i], depth + 1);
      return;
    }
    var proto = getProto(value);
    if (proto !== ObjProto && proto !== null) throw new TypeErr("postToView: a message may hold plain objects only");
    var k = keysOf(value);
    for (var j = 0; j < k.length; j++) plain(value[k[j]], depth + 1);
  }
  function settle(table, text, ok) {
    var msg;
    try { msg = parse(text); } catch (_) { return; }
    if (!msg || typeof msg.id !== "number") return;
    var p = table.get(msg.id);
    if (!p) return;
    table.delete(msg.id);
    if (msg.ok === true) p.resolve(ok(msg));
    else {
      var err = msg.error || {};
      p.reject(fail(String(err.code || "INTERNAL"), String(err.message || "internal error")));
    }
  }
  function deliver(value) {
    for (var i = 0; i < handlers.length; i++) {
      try { handlers[i](value); } catch (e) { setTimeout(function () { throw e; }); }
    }
  }
  listen.call(g, "message", function (ev) {
    var m = ev.data;
    if (!m || typeof m !== "object" || typeof m.text !== "string") return;
    if (m.t === "reply") settle(calls, m.text, function (msg) { return msg.result; });
    else if (m.t === "ack") settle(posts, m.text, function () { return undefined; });
    else if (m.t === "view") {
      var value;
      try { value = parse(m.text); } catch (_) { return; }
      if (handlers.length === 0) { if (early.length < 256) early.push(value); return; }
      deliver(value);
    }
  });
  listen.call(g, "securitypolicyviolation", function (ev) {
    if (!ev.isTrusted) return;
    send("violation", stringify({
      directive: String(ev.effectiveDirective || ev.violatedDirective || ""),
      blocked: String(ev.blockedURI || "").slice(0, 2048),
    }));
  });

  function callNative(api, params) {
    return new Prom(function (resolve, reject) {
      if (typeof api !== "string") { reject(fail("INVALID_PARAMS", "api must be a string")); return; }
      var text;
      try {
        text = stringify({ id: nextId, api: api, params: params === undefined ? {} : params });
      } catch (e) {
        reject(fail("INVALID_PARAMS", "params must be JSON-serialisable"));
        return;
      }
      var id = nextId++;
      calls.set(id, { resolve: resolve, reject: reject });
      send("call", text);
    });
  }
  function postToView(message) {
    plain(message, 1);  // throws TypeError now, before any promise: a programming error
    return new Prom(function (resolve, reject) {
      var id = nextId++;
      posts.set(id, { resolve: resolve, reject: reject });
      send("post", stringify({ id: id, data: message }));
    });
  }
  function onViewMessage(callback) {
    if (typeof callback !== "function") throw new TypeErr("onViewMessage needs a function");
    handlers.push(callback);
    if (early.length) {
      var q = early;
      early = [];
      for (var i = 0; i < q.length; i++) deliver(q[i]);
    }
  }
  function fixed(name, value) {
    defineProperty(g, name, { value: value, writable: false, configurable: false, enumerable: false });
  }
  // Remove, then pin as undefined, on the global and along its prototype chain.
  var REMOVED = [
    "fetch", "XMLHttpRequest", "WebSocket", "WebSocketStream", "EventSource", "WebTransport",
    "RTCPeerConnection", "RTCDataChannel", "BroadcastChannel", "SharedWorker", "Worker",
    "indexedDB", "IDBFactory", "caches", "CacheStorage", "importScripts", "close",
  ];
  for (var r = 0; r < REMOVED.length; r++) {
    var name = REMOVED[r];
    for (var o = g; o; o = getProto(o)) {
      if (hasOwn.call(o, name)) { try { delete o[name]; } catch (_) { /* pinned below */ } }
    }
    try { fixed(name, undefined); } catch (_) { /* already pinned */ }
  }
  // The origin-private file system and Web Locks are shared with the same-origin view too.
  for (var np = g.navigator && getProto(g.navigator); np; np = getProto(np)) {
    if (hasOwn.call(np, "storage")) { try { delete np.storage; } catch (_) { /* left */ } }
    if (hasOwn.call(np, "locks")) { try { delete np.locks; } catch (_) { /* left */ } }
  }
  fixed("callNative", callNative);
  fixed("postToView", postToView);
  fixed("onViewMessage", onViewMessage);
  importer.apply(g, __SUPERAPP_LOGIC_SCRIPTS__);
})(self);
