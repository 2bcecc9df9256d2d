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
                      crashed: "Crashed", terminated: "Stopped by host" };

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
    card.append(head, state, detail, actions);
    return { root: card, name: name, meta: meta, state: state, detail: detail, launch: launch, stop: stop };
  }

  function update(c, app) {
    c.name.textContent = app.name;
    c.meta.textContent = "v" + app.version_name + " · " + (app.publisher || "unknown publisher");
    c.state.dataset.state = app.state;
    c.state.textContent = (STATE_WORDS[app.state] || app.state) + (app.dev_mode ? " · developer mode" : "");
    c.detail.textContent = app.state_detail || "";
    c.detail.hidden = !app.state_detail;
    var live = app.state === "running" || app.state === "starting";
    c.launch.disabled = live;
    c.stop.disabled = !live;
  }

  function render(apps) {
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

  function openPermissions(app) {
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
  }
  if (window.pywebview && window.pywebview.api) start();
  else window.addEventListener("pywebviewready", start);
})();
