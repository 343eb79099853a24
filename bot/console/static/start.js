/* Boots the console: who is signed in, the translation table, every script's wiring, the
   reference data, the live connection, then the first view. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$;

  // the hub's live events were cut (each subscription says so): the views read what they
  // missed, once for the lot
  var resyncTimer = null;
  function resyncSoon() {
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(function () {
      HC.emit({ type: "resync" });
      setTimeout(function () { HC.emit({ type: "resync" }); }, 3000);  // what other processes published before they noticed
    }, 300);
  }

  function connect() {
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    var ws = HC.ws = new WebSocket(proto + "//" + window.location.host + "/console/ws");
    ws.onopen = function () {
      $("live").textContent = "●"; $("live").title = "Đang nhận cập nhật trực tiếp";
      HC.emit({ type: "open" });
    };
    ws.onclose = function () { $("live").textContent = "○"; $("live").title = "Mất kết nối, đang kết nối lại"; setTimeout(connect, 2000); };
    ws.onmessage = function (ev) {
      var e;
      try { e = JSON.parse(ev.data); } catch (x) { return; }
      if (e && e.type === "resync") { resyncSoon(); return; }
      if (e && typeof e.type === "string" && e.type !== "open" && e.type !== "reference") { HC.emit(e); }
    };
  }

  Promise.all([HC.api("GET", "/me"), HC.api("GET", "/labels")]).then(function (r) {
    HC.LABELS = r[1];
    HC.me = r[0].user;
    HC.csrf = r[0].csrf;
    var me = HC.me;
    $("whoami").textContent = (me.full_name || me.username) + " · " + HC.L("role", me.role) + (me.agency_name ? " · " + me.agency_name : "");
    document.body.dataset.role = me.role;
    HC.applyRoles();
    var tabs = document.querySelectorAll("#tabs button");
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].addEventListener("click", function (ev) { HC.show(ev.currentTarget.dataset.view); });
    }
    $("logout").addEventListener("click", function () {
      HC.api("POST", "/logout").then(function () { window.location.assign("/console/login"); }).catch(HC.fail);
    });
    HC.wirers.forEach(function (fn) { fn(); });
    return HC.hasRole("communications") ? null : HC.loadReference();  // campaigns only: no tickets' data
  }).then(function () {
    connect();
    if (HC.hasRole("communications")) { HC.show("campaigns"); return; }
    HC.loadNotices();
    HC.show(HC.hasRole("operator supervisor admin") ? "queue" : "tickets");
    openFromHash();
    window.addEventListener("hashchange", openFromHash);
  }).catch(HC.fail);

  // a link from a notice mail or the records: /console/#ticket=ID opens that ticket,
  // /console/#conversation=ID that conversation (staff); the login page keeps the link
  function openFromHash() {
    var m = /^#(ticket|conversation)=(\d{1,18})$/.exec(window.location.hash);
    if (!m) { return; }
    if (m[1] === "ticket") { HC.openTicketPage(Number(m[2])); }
    else if (HC.hasRole("operator supervisor admin")) { HC.openConversation(Number(m[2])); }
  }
})();
