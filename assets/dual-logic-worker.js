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
  var post = g.postMessage, importer = g.importScripts, listen = g.addEventListener;
  var stringify = JSON.stringify, parse = JSON.parse;
  var TypeErr = TypeError, Prom = Promise;
  var getProto = Object.getPrototypeOf, hasOwn = Object.prototype.hasOwnProperty;
  var defineProperty = Object.defineProperty;
  var nextId = 1, calls = new Map(), posts = new Map(), handlers = [], early = [];
  @include shim-common.js
  @include shim-call.js
  var settle = shared.settle;

  function send(t, text) { post.call(g, { t: t, text: text }); }
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
      var text;
      try { text = callText(nextId, api, params); } catch (e) { reject(e); return; }
      var id = nextId++;
      calls.set(id, { resolve: resolve, reject: reject });
      send("call", text);
    });
  }
  function postToView(message) {
    shared.plain(message, 1, "postToView");  // throws TypeError now, before any promise: a programming error
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
