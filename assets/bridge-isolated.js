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
  var doc = document, up = false;
  function announce() { doc.dispatchEvent(new CustomEvent("superapp:ready")); }
  new QWebChannel(qt.webChannelTransport, function (channel) {
    var bridge = channel.objects.superapp;
    bridge.reply.connect(function (text) {
      doc.dispatchEvent(new CustomEvent("superapp:reply", { detail: String(text) }));
    });
    doc.addEventListener("superapp:call", function (ev) {
      if (typeof ev.detail === "string") bridge.call(ev.detail);
    });
    // CSP refusals happen inside the renderer, before any request exists for the host to see;
    // report them so they reach the audit log. Only events the engine raised (isTrusted) count.
    doc.addEventListener("securitypolicyviolation", function (ev) {
      if (!ev.isTrusted) return;
      bridge.violation(JSON.stringify({
        directive: String(ev.effectiveDirective || ev.violatedDirective || ""),
        blocked: String(ev.blockedURI || "").slice(0, 2048),
      }));
    });
    up = true;
    announce();
  });
  doc.addEventListener("superapp:hello", function () { if (up) announce(); });
})();
