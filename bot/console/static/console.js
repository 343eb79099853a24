/* Operator console of the 1022 hub: the shared core (window.HC). The other scripts —
   agent.js (the three-pane agent screen), tickets.js, admin.js, campaigns.js, integrations.js
   (the admin's API tokens and webhooks) — add their views to it and
   start.js boots the page. Rule: every text from the server (citizens' messages above all)
   is written with textContent / createTextNode — never innerHTML. */
(function () {
  "use strict";

  var HC = window.HC = {
    me: null, csrf: "", agencies: [], domains: [], canned: [],
    views: {},      // view name -> loader, called when the tab is shown
    handlers: {},   // live event type -> [fn]
    wirers: []      // functions wiring a script's controls, run once at start
  };

  HC.$ = function (id) { return document.getElementById(id); };

  HC.el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  };

  HC.flash = function (text, bad) {
    var f = HC.$("flash");
    f.textContent = text || "";
    f.className = "flash" + (bad ? " bad" : "");
  };

  HC.api = function (method, path, body, isForm) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (method !== "GET") { opts.headers["X-CSRF-Token"] = HC.csrf; }
    if (body !== undefined) {
      if (isForm) { opts.body = body; } else {
        opts.headers["Content-Type"] = "application/json";
        opts.body = JSON.stringify(body);
      }
    }
    return fetch("/console/api" + path, opts).then(function (r) {
      if (r.status === 401) { window.location.assign("/console/login" + HC.link()); throw new Error("401"); }
      return r.json().then(function (b) {
        if (!r.ok) { var err = new Error(b.error || ("Lỗi " + r.status)); err.status = r.status; throw err; }
        return b;
      });
    });
  };

  // the part of the address that names a ticket or a conversation (kept through the login)
  HC.link = function () {
    var h = window.location.hash;
    return /^#(ticket|conversation)=\d{1,18}$/.test(h) ? h : "";
  };

  HC.fail = function (err) { HC.flash(err.message || String(err), true); };

  HC.fmtTime = function (iso) {
    if (!iso) { return ""; }
    return new Date(iso).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" });
  };

  HC.fmtWait = function (sec) {
    if (sec === null || sec === undefined) { return ""; }
    if (sec < 60) { return sec + " giây"; }
    if (sec < 3600) { return Math.floor(sec / 60) + " phút"; }
    return Math.floor(sec / 3600) + " giờ " + Math.floor((sec % 3600) / 60) + " phút";
  };

  // the one translation table (handoff/labels.py), from GET /console/api/labels
  HC.LABELS = {};
  HC.L = function (kind, value) {
    if (value === null || value === undefined) { return ""; }
    var key = kind === "channel" ? String(value).split(":")[0] : value;
    var table = HC.LABELS[kind] || {};
    return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : value;
  };

  // Vietnamese text folded for search: lower case, no tone marks, "đ" as "d"
  HC.fold = function (text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "d").toLowerCase();
  };

  // how a ticket's deadline stands (ticket.deadline)
  HC.DEADLINE = { on_time: "trong hạn", approaching: "sắp đến hạn", overdue: "quá hạn" };

  HC.hasRole = function (list) { return !list || list.split(" ").indexOf(HC.me.role) >= 0; };

  HC.clear = function (node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; };

  HC.fillList = function (id, items, make, emptyText) {
    var list = HC.clear(HC.$(id));
    items.forEach(function (it) { list.appendChild(make(it)); });
    if (!items.length) { list.appendChild(HC.el("li", "empty", emptyText || "Không có")); }
  };

  HC.fillSelect = function (sel, items, blank, label) {
    var keep = sel.value;
    HC.clear(sel);
    if (blank) { var o = HC.el("option", null, blank); o.value = ""; sel.appendChild(o); }
    items.forEach(function (it) {
      var opt = HC.el("option", null, label ? label(it) : it.name); opt.value = it.id; sel.appendChild(opt);
    });
    sel.value = keep;
  };

  HC.onSubmit = function (id, fn) {
    HC.$(id).addEventListener("submit", function (ev) { ev.preventDefault(); fn(); });
  };

  HC.on = function (type, fn) { (HC.handlers[type] = HC.handlers[type] || []).push(fn); };

  HC.emit = function (e) { (HC.handlers[e.type] || []).forEach(function (fn) { fn(e); }); };

  HC.isShown = function (view) { return !HC.$("view-" + view).hidden; };

  HC.show = function (view) {
    var views = document.querySelectorAll(".view");
    for (var i = 0; i < views.length; i++) { views[i].hidden = views[i].id !== "view-" + view; }
    var tabs = document.querySelectorAll("#tabs button");
    for (var j = 0; j < tabs.length; j++) { tabs[j].classList.toggle("on", tabs[j].dataset.view === view); }
    HC.flash("");  // a message belongs to the view it was said in
    if (HC.views[view]) { HC.views[view](); }
  };

  HC.applyRoles = function () {
    var items = document.querySelectorAll("[data-roles]");
    for (var i = 0; i < items.length; i++) { items[i].hidden = !HC.hasRole(items[i].dataset.roles); }
  };

  // agencies, domains and canned answers, shared by every view's selects
  HC.loadReference = function () {
    return Promise.all([HC.api("GET", "/agencies"), HC.api("GET", "/domains"), HC.api("GET", "/canned")])
      .then(function (r) {
        HC.agencies = r[0].agencies.filter(function (a) { return a.active; });
        HC.domains = r[1].domains.filter(function (x) { return x.active; });
        HC.canned = r[2].canned;
        var sels = document.querySelectorAll(".agency-select");
        for (var i = 0; i < sels.length; i++) { HC.fillSelect(sels[i], HC.agencies, "— chọn đơn vị —"); }
        var ds = document.querySelectorAll(".domain-select");
        for (var j = 0; j < ds.length; j++) { HC.fillSelect(ds[j], HC.domains, "— chọn lĩnh vực —"); }
        var af = document.querySelectorAll(".agency-filter");
        for (var k = 0; k < af.length; k++) { HC.fillSelect(af[k], HC.agencies, "Mọi đơn vị"); }
        var df = document.querySelectorAll(".domain-filter");
        for (var m = 0; m < df.length; m++) { HC.fillSelect(df[m], HC.domains, "Mọi lĩnh vực"); }
        (HC.handlers.reference || []).forEach(function (fn) { fn(); });
      });
  };
})();
