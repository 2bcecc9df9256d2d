/*
 * superapp dual mode, the view's relay (isolated world). Holds the view's QWebChannel, whose
 * one object (superappView) carries messages to and from the app's logic and nothing else:
 * the callNative relay and the native bridge object are never injected into a view.
 *
 * __SUPERAPP_ORIGIN__ is replaced by the host with the app's origin as a JSON string.
 */
(function () {
  "use strict";
  var ORIGIN = __SUPERAPP_ORIGIN__;
  if (window.top !== window || location.origin !== ORIGIN && (location.protocol + "//" + location.host) !== ORIGIN) return;
  if (typeof qt === "undefined" || !qt.webChannelTransport) return;
  var doc = document, up = false;
  function announce() { doc.dispatchEvent(new CustomEvent("superapp:view-ready")); }
  new QWebChannel(qt.webChannelTransport, function (channel) {
    var link = channel.objects.superappView;
    link.deliver.connect(function (text) {
      doc.dispatchEvent(new CustomEvent("superapp:view-data", { detail: String(text) }));
    });
    link.ack.connect(function (text) {
      doc.dispatchEvent(new CustomEvent("superapp:view-ack", { detail: String(text) }));
    });
    doc.addEventListener("superapp:view-post", function (ev) {
      if (typeof ev.detail === "string") link.post(ev.detail);
    });
    doc.addEventListener("securitypolicyviolation", function (ev) {
      if (!ev.isTrusted) return;
      link.violation(JSON.stringify({
        directive: String(ev.effectiveDirective || ev.violatedDirective || ""),
        blocked: String(ev.blockedURI || "").slice(0, 2048),
      }));
    });
    up = true;
    link.ready();
    announce();
  });
  doc.addEventListener("superapp:view-hello", function () { if (up) announce(); });
})();
