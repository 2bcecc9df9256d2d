/*
 * superapp dual mode: the hidden logic page's own script (main world; served by the host at
 * /__superapp/logic-host.js, never from the bundle). It starts the one dedicated worker that
 * runs the app's logic scripts and passes text between it and the isolated-world relay.
 * No app script runs in this document.
 */
(function () {
  "use strict";
  var doc = document, ready = false, queue = [];
  var worker = new Worker("/__superapp/logic-worker.js");
  function toRelay(type, text) {
    if (ready) doc.dispatchEvent(new CustomEvent(type, { detail: text }));
    else queue.push([type, text]);
  }
  var ROUTES = { call: "superapp:call", post: "superapp:logic-post", violation: "superapp:logic-violation" };
  worker.onmessage = function (ev) {
    var m = ev.data;
    if (!m || typeof m !== "object" || typeof m.text !== "string") return;
    if (!Object.prototype.hasOwnProperty.call(ROUTES, m.t)) return;
    toRelay(ROUTES[m.t], m.text);
  };
  worker.onerror = function (ev) {
    // Shown on the developer's terminal in developer mode (the page's console).
    console.error("logic error: " + String(ev.message) + " (" + String(ev.filename) + ":" + String(ev.lineno) + ")");
  };
  function toWorker(kind) {
    return function (ev) { worker.postMessage({ t: kind, text: String(ev.detail) }); };
  }
  doc.addEventListener("superapp:reply", toWorker("reply"));
  doc.addEventListener("superapp:logic-data", toWorker("view"));
  doc.addEventListener("superapp:logic-ack", toWorker("ack"));
  doc.addEventListener("superapp:logic-ready", function () {
    if (ready) return;
    ready = true;
    var q = queue;
    queue = [];
    for (var i = 0; i < q.length; i++) doc.dispatchEvent(new CustomEvent(q[i][0], { detail: q[i][1] }));
  });
  doc.dispatchEvent(new CustomEvent("superapp:logic-hello"));
})();
