/*
 * superapp relay (isolated world). Runs in a script world the page cannot reach and holds
 * the QWebChannel to the host. It answers only in the app's own top-level document:
 * the host injects it into the main frame only, and it checks the document's origin itself;
 * the host checks the page URL again on every call.
 *
 * __SUPERAPP_ORIGIN__ is replaced by the host with the app's origin as a JSON string.
 */
(function () {
  "use strict";
  var ORIGIN = __SUPERAPP_ORIGIN__;
  if (window.top !== window || location.origin !== ORIGIN && (location.protocol + "//" + location.host) !== ORIGIN) return;
  if (typeof qt === "undefined" || !qt.webChannelTransport) return;
  var doc = document, up = false, bridge = null, pending = [];
  function announce() { doc.dispatchEvent(new CustomEvent("superapp:ready")); }
  // CSP refusals happen inside the renderer, before any request exists for the host to see;
  // report them so they reach the audit log (superapp/runtime/_cspreport.py). Listening starts
  // now, at document creation: an inline script in <head> is refused while the channel below
  // is still connecting, so reports wait in a short queue until it is up. Only events the
  // engine raised (isTrusted) count. With two policies (an injected import map) one refused
  // element raises two events: it is reported once per directive. The listener is on window,
  // capturing, and registered before any page script: the page cannot stop the event first.
  var MAX_PENDING = 64, seen = new WeakMap();
  function report(text) {
    if (bridge) bridge.violation(text);
    else if (pending.length < MAX_PENDING) pending.push(text);
  }
  window.addEventListener("securitypolicyviolation", function (ev) {
    if (!ev.isTrusted) return;
    var directive = String(ev.effectiveDirective || ev.violatedDirective || "");
    var el = ev.target && ev.target.nodeType === 1 ? ev.target : null;
    if (el) {
      var done = seen.get(el) || "";
      if (done.indexOf("|" + directive + "|") >= 0) return;
      seen.set(el, done + "|" + directive + "|");
    }
    var tag = el ? String(el.localName) : "";
    var handlers = [];
    if (el && el.getAttributeNames) {
      el.getAttributeNames().forEach(function (n) {
        if (n.slice(0, 2) === "on" && handlers.length < 8) handlers.push(n.slice(0, 32));
      });
    }
    report(JSON.stringify({
      directive: directive.slice(0, 64),
      blocked: String(ev.blockedURI || "").slice(0, 2048),
      // The engine cuts sourceFile of a non-http URL to its scheme ("app"): the document's
      // own address names the file of an inline script or handler.
      file: String(ev.sourceFile || "").slice(0, 512),
      doc: String(location.origin + location.pathname).slice(0, 512),
      line: Number(ev.lineNumber) || 0,
      sample: String(ev.sample || "").slice(0, 80),
      element: tag.slice(0, 32),
      type: tag === "script" ? String(el.type || "").slice(0, 32) : "",
      nonce: tag === "script" && !!el.nonce,
      handlers: handlers,
    }));
  }, true);
  new QWebChannel(qt.webChannelTransport, function (channel) {
    bridge = channel.objects.superapp;
    bridge.reply.connect(function (text) {
      doc.dispatchEvent(new CustomEvent("superapp:reply", { detail: String(text) }));
    });
    doc.addEventListener("superapp:call", function (ev) {
      if (typeof ev.detail === "string") bridge.call(ev.detail);
    });
    pending.splice(0).forEach(function (text) { bridge.violation(text); });
    up = true;
    announce();
  });
  doc.addEventListener("superapp:hello", function () { if (up) announce(); });
})();
