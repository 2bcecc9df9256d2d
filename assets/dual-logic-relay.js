/*
 * superapp dual mode, the logic page's relay (isolated world of the hidden page at
 * app://<app_id>/__superapp/logic.html). Holds the QWebChannel with the native bridge
 * (superapp) and the message link to the view (superappLink). The hidden page's main world
 * runs only the host's logic-host.js, which passes text between this relay and the worker
 * that runs the app's logic scripts.
 *
 * __SUPERAPP_ORIGIN__ is replaced by the host with the app's origin as a JSON string.
 */
(function () {
  "use strict";
  var ORIGIN = __SUPERAPP_ORIGIN__;
  if (window.top !== window || location.origin !== ORIGIN && (location.protocol + "//" + location.host) !== ORIGIN) return;
  if (location.pathname !== "/__superapp/logic.html") return;
  if (typeof qt === "undefined" || !qt.webChannelTransport) return;
  var doc = document, up = false;
  function fire(type, text) { doc.dispatchEvent(new CustomEvent(type, { detail: String(text) })); }
  function announce() { doc.dispatchEvent(new CustomEvent("superapp:logic-ready")); }
  new QWebChannel(qt.webChannelTransport, function (channel) {
    var bridge = channel.objects.superapp, link = channel.objects.superappLink;
    bridge.reply.connect(function (text) { fire("superapp:reply", text); });
    link.deliver.connect(function (text) { fire("superapp:logic-data", text); });
    link.ack.connect(function (text) { fire("superapp:logic-ack", text); });
    doc.addEventListener("superapp:call", function (ev) {
      if (typeof ev.detail === "string") bridge.call(ev.detail);
    });
    doc.addEventListener("superapp:logic-post", function (ev) {
      if (typeof ev.detail === "string") link.post(ev.detail);
    });
    doc.addEventListener("superapp:logic-violation", function (ev) {
      if (typeof ev.detail === "string") bridge.violation(ev.detail);
    });
    up = true;
    link.ready();
    announce();
  });
  doc.addEventListener("superapp:logic-hello", function () { if (up) announce(); });
})();
