/* The launcher page: trusted host UI. It talks to the host only through pywebview's js_api
 * (window.pywebview.api), which exists in the launcher's process and never in a mini-app's. */
(function () {
  "use strict";
  var api = null;
  var grid = document.getElementById("grid");
  var empty = document.getElementById("empty");
  var count = document.getElementById("count");
  var banner = document.getElementById("banner");
  var bannerText = document.getElementById("banner-text");
  var scrim = document.getElementById("scrim");
  var grantsList = document.getElementById("grants");
  var panelTitle = document.getElementById("panel-title");
  var cards = {};
  var STATE_WORDS = { stopped: "Not running", starting: "Starting…", running: "Running",
                      crashed: "Crashed", terminated: "Stopped by host",
                      hidden: "In the background", suspended: "Suspended",
                      discarded: "Suspended · memory freed", throttled: "Slowed down" };
  // In the background: "Launch" brings the app back (the host resumes it).
  var BACKGROUND = { hidden: true, suspended: true, discarded: true };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function showBanner(text, info) {
    bannerText.textContent = text;
    banner.classList.toggle("info", !!info);
    banner.hidden = false;
  }
  document.getElementById("banner-close").addEventListener("click", function () { banner.hidden = true; });

  function act(promise) {
    return promise.then(function (r) {
      if (r && r.ok === false) showBanner(r.error || "That did not work.");
      refresh();
      return r;
    }, function () { showBanner("The host did not answer."); });
  }

  function buildCard(app) {
    var card = el("article", "card");
    card.dataset.testid = "app-card-" + app.app_id;
    var head = el("div", "card-head");
    var icon;
    if (app.icon_data_url) {
      icon = el("img", "icon");
      icon.alt = "";
      icon.src = app.icon_data_url;
    } else {
      icon = el("div", "icon placeholder", (app.name || "?").charAt(0).toUpperCase());
    }
    var titles = el("div");
    var name = el("p", "name");
    var meta = el("p", "meta");
    titles.append(name, meta);
    head.append(icon, titles);
    var state = el("span", "state");
    state.dataset.testid = "state-" + app.app_id;
    var detail = el("p", "detail");
    var confined = el("p", "confinement-warning");
    confined.dataset.testid = "confinement-" + app.app_id;
    var actions = el("div", "actions");
    var launch = el("button", "btn primary", "Launch");
    launch.dataset.testid = "launch-" + app.app_id;
    launch.addEventListener("click", function () { launch.disabled = true; act(api.launch(app.app_id)); });
    var stop = el("button", "btn", "Stop");
    stop.dataset.testid = "stop-" + app.app_id;
    stop.addEventListener("click", function () { stop.disabled = true; act(api.stop(app.app_id)); });
    var perms = el("button", "btn link", "Permissions");
    perms.dataset.testid = "permissions-" + app.app_id;
    perms.addEventListener("click", function () { openPermissions(app); });
    actions.append(launch, stop, perms);
    card.append(head, state, detail, confined, actions);
    return { root: card, name: name, meta: meta, state: state, detail: detail, confined: confined, launch: launch, stop: stop };
  }

  function update(c, app) {
    c.name.textContent = app.name;
    c.meta.textContent = "v" + app.version_name + " · " + (app.publisher || "unknown publisher");
    c.state.dataset.state = app.state;
    c.state.textContent = (STATE_WORDS[app.state] || app.state) + (app.dev_mode ? " · developer mode" : "");
    c.detail.textContent = app.state_detail || "";
    c.detail.hidden = !app.state_detail;
    c.confined.textContent = app.confinement_warning || "";
    c.confined.hidden = !app.confinement_warning;
    var back = BACKGROUND[app.state] === true;
    var live = back || app.state === "running" || app.state === "starting" || app.state === "throttled";
    c.launch.disabled = live && !back;
    c.launch.textContent = back ? "Resume" : "Launch";
    c.stop.disabled = !live;
  }

  function render(apps) {
    fillAppFilter(apps);
    var seen = {};
    apps.forEach(function (app) {
      seen[app.app_id] = true;
      var c = cards[app.app_id];
      if (!c) { c = cards[app.app_id] = buildCard(app); grid.append(c.root); }
      update(c, app);
    });
    Object.keys(cards).forEach(function (id) {
      if (!seen[id]) { cards[id].root.remove(); delete cards[id]; }
    });
    empty.hidden = apps.length > 0;
    count.textContent = apps.length ? "(" + apps.length + ")" : "";
  }

  function refresh() {
    if (!api) return Promise.resolve();
    return api.list_apps().then(render, function () { showBanner("Could not read the installed apps."); });
  }

  // ---- tabs ------------------------------------------------------------------------
  var current = "apps";
  function show(tab) {
    current = tab;
    document.querySelectorAll(".tab").forEach(function (t) { t.classList.toggle("active", t.dataset.tab === tab); });
    document.querySelectorAll(".view").forEach(function (v) { v.hidden = v.id !== "view-" + tab; });
    if (tab === "store") refreshStore();
    refreshView();
  }
  document.querySelectorAll(".tab").forEach(function (t) {
    t.addEventListener("click", function () { show(t.dataset.tab); });
  });

  function cell(row, text, cls) { var td = el("td", cls, text == null ? "–" : String(text)); row.append(td); return td; }

  function refreshActivity() {
    api.dashboard().then(function (d) {
      var body = document.getElementById("dash-body");
      body.textContent = "";
      d.running.forEach(function (a) {
        var tr = el("tr");
        tr.dataset.testid = "dash-row-" + a.app_id;
        cell(tr, a.app_id);
        cell(tr, a.cpu_percent == null ? null : a.cpu_percent + " %");
        cell(tr, a.memory_mb == null ? null : a.memory_mb + " MB");
        cell(tr, a.bridge_calls_per_s);
        cell(tr, a.net_requests_per_s);
        var td = cell(tr, "");
        a.recent_denials.forEach(function (r) { td.append(el("div", "deny", r.action + " " + r.target)); });
        body.append(tr);
      });
      document.getElementById("dash-empty").hidden = d.running.length > 0;
    });
    var appSel = document.getElementById("audit-app");
    api.audit(appSel.value || null, document.getElementById("audit-action").value || null).then(function (rows) {
      var body = document.getElementById("audit-body");
      body.textContent = "";
      rows.slice().reverse().slice(0, 150).forEach(function (r) {
        var tr = el("tr");
        tr.dataset.testid = "audit-row";
        cell(tr, r.time); cell(tr, r.app_id); cell(tr, r.action); cell(tr, r.target); cell(tr, r.reason);
        body.append(tr);
      });
    });
  }
  ["audit-app", "audit-action"].forEach(function (id) {
    document.getElementById(id).addEventListener("input", refreshActivity);
  });

  function refreshRevoked() {
    api.revocations().then(function (r) {
      var status = document.getElementById("revoked-status");
      var list = document.getElementById("revoked-list");
      list.textContent = "";
      if (!r.enabled) { status.textContent = "The kill switch is not configured (see docs/operators.md)."; return; }
      status.textContent = "List version " + r.version + (r.stale ? " — out of date" : "") +
        (r.expires ? ", valid until " + r.expires : "");
      r.entries.forEach(function (e) {
        var li = el("li", "", e.what);
        li.dataset.testid = "revoked-row";
        list.append(li);
      });
      if (!r.entries.length) list.append(el("li", "", "Nothing is revoked."));
    });
  }

  function refreshStore() {
    api.store_list().then(function (r) {
      var status = document.getElementById("store-status");
      var body = document.getElementById("store-body");
      body.textContent = "";
      if (!r.ok) { status.textContent = r.error; return; }
      if (!r.enabled) { status.textContent = "No repository is configured (see docs/store.md)."; return; }
      status.textContent = r.apps.length ? "" : "The repository has no apps.";
      r.apps.forEach(function (a) {
        var row = el("tr");
        row.dataset.testid = "store-row";
        cell(row, a.name + " (" + a.app_id + ")");
        cell(row, a.installed);
        cell(row, a.available);
        var td = cell(row, "");
        if (a.available != null && a.installed !== a.available) {
          var b = el("button", "btn", a.installed == null ? "Install" : "Update");
          b.dataset.testid = "store-install";
          b.addEventListener("click", function () {
            b.disabled = true;
            act(api.store_install(a.app_id)).then(function (res) {
              if (res && res.ok) showBanner(res.message, true);
              refreshStore();
            });
          });
          td.append(b);
        }
        body.append(row);
      });
    });
  }

  function refreshView() {
    if (current === "activity") refreshActivity();
    else if (current === "revoked") refreshRevoked();
  }

  function fillAppFilter(apps) {
    var sel = document.getElementById("audit-app");
    var have = {};
    Array.prototype.forEach.call(sel.options, function (o) { have[o.value] = true; });
    apps.forEach(function (a) {
      if (!have[a.app_id]) { var o = el("option", "", a.name); o.value = a.app_id; sel.append(o); }
    });
  }

  var panelApp = null;
  function showStorage(app) {
    var usage = document.getElementById("storage-usage");
    usage.textContent = "…";
    api.storage(app.app_id).then(function (r) {
      if (!r.ok) { usage.textContent = r.error; return; }
      var u = r.usage;
      usage.textContent = (u.used / 1024).toFixed(1) + " KB of " + (u.quota / 1048576).toFixed(0) +
        " MB · " + u.keys + " keys · " + u.files + " files · web storage " +
        (u.engine_bytes / 1048576).toFixed(1) + " MB on disk of " +
        (u.engine_quota / 1048576).toFixed(0) + " MB";
    });
  }
  document.getElementById("storage-clear").addEventListener("click", function () {
    if (!panelApp) return;
    if (!window.confirm("Delete every value and file " + panelApp.name + " stored on this device?")) return;
    act(api.clear_storage(panelApp.app_id)).then(function () { showStorage(panelApp); });
  });

  function openPermissions(app) {
    panelApp = app;
    showStorage(app);
    panelTitle.textContent = "Permissions · " + app.name;
    grantsList.textContent = "";
    scrim.hidden = false;
    api.grants(app.app_id).then(function (rows) {
      if (!rows.length) grantsList.append(el("li", "", "This app asks for no capabilities."));
      rows.forEach(function (g) {
        var li = el("li");
        var txt = el("div", "txt");
        txt.append(el("div", "cap", g.capability));
        if (g.reason) txt.append(el("div", "why", g.reason));
        li.append(txt, el("span", g.granted ? "on" : "off", g.granted ? "Granted" : "Not granted"));
        if (g.granted) {
          var revoke = el("button", "btn", "Revoke");
          revoke.dataset.testid = "revoke-" + g.capability;
          revoke.addEventListener("click", function () {
            act(api.revoke_grant(app.app_id, g.capability)).then(function () { openPermissions(app); });
          });
          li.append(revoke);
        }
        grantsList.append(li);
      });
    });
  }
  document.getElementById("panel-close").addEventListener("click", function () { scrim.hidden = true; });
  scrim.addEventListener("click", function (e) { if (e.target === scrim) scrim.hidden = true; });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") scrim.hidden = true; });

  document.getElementById("install").addEventListener("click", function () {
    act(api.install_dialog()).then(function (r) {
      if (r && r.ok && r.app_id) showBanner("Installed " + r.app_id + ".", true);
    });
  });

  function start() {
    api = window.pywebview.api;
    refresh();
    setInterval(refresh, 500);
    setInterval(refreshView, 1000);
  }
  if (window.pywebview && window.pywebview.api) start();
  else window.addEventListener("pywebviewready", start);
})();
