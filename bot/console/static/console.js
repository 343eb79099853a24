/* Operator console of the 1022 hub. Rule: every text from the server (citizens' messages
   above all) is written with textContent / createTextNode — never innerHTML. */
(function () {
  "use strict";

  var me = null;
  var csrf = "";
  var agencies = [];
  var domains = [];
  var current = { conv: null, ticket: null };
  var seen = {};
  var ws = null;

  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function flash(text, bad) {
    var f = $("flash");
    f.textContent = text || "";
    f.className = "flash" + (bad ? " bad" : "");
  }

  function api(method, path, body, isForm) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (method !== "GET") { opts.headers["X-CSRF-Token"] = csrf; }
    if (body !== undefined) {
      if (isForm) { opts.body = body; } else {
        opts.headers["Content-Type"] = "application/json";
        opts.body = JSON.stringify(body);
      }
    }
    return fetch("/console/api" + path, opts).then(function (r) {
      if (r.status === 401) { window.location.assign("/console/login"); throw new Error("401"); }
      return r.json().then(function (b) {
        if (!r.ok) { var err = new Error(b.error || ("Lỗi " + r.status)); err.status = r.status; throw err; }
        return b;
      });
    });
  }

  function fail(err) { flash(err.message || String(err), true); }

  function fmtTime(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    return d.toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" });
  }

  function fmtWait(sec) {
    if (sec === null || sec === undefined) { return ""; }
    if (sec < 60) { return sec + " giây"; }
    if (sec < 3600) { return Math.floor(sec / 60) + " phút"; }
    return Math.floor(sec / 3600) + " giờ " + Math.floor((sec % 3600) / 60) + " phút";
  }

  // the one translation table (handoff/labels.py), from GET /console/api/labels
  var LABELS = {};
  function L(kind, value) {
    if (value === null || value === undefined) { return ""; }
    var key = kind === "channel" ? String(value).split(":")[0] : value;
    var table = LABELS[kind] || {};
    return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : value;
  }
  var SENDER = { citizen: "Công dân", bot: "Trợ lý ảo", operator: "Cán bộ", agency: "Đơn vị", system: "Hệ thống" };

  function hasRole(list) { return !list || list.split(" ").indexOf(me.role) >= 0; }

  // ------------------------------------------------------------------ views
  function show(view) {
    var views = document.querySelectorAll(".view");
    for (var i = 0; i < views.length; i++) { views[i].hidden = views[i].id !== "view-" + view; }
    var tabs = document.querySelectorAll("#tabs button");
    for (var j = 0; j < tabs.length; j++) { tabs[j].classList.toggle("on", tabs[j].dataset.view === view); }
    if (view === "queue") { loadQueue(); }
    if (view === "tickets") { loadTickets(); }
    if (view === "unclear") { loadUnclear(); }
    if (view === "notices") {
      loadNotices();
      api("POST", "/notifications/read").then(function () { $("notice-count").textContent = ""; }).catch(fail);
    }
    if (view === "audit") { loadAudit(); }
    if (view === "report") { loadReport(); }
    if (view === "admin") { loadAdmin(); }
  }

  function applyRoles() {
    var items = document.querySelectorAll("[data-roles]");
    for (var i = 0; i < items.length; i++) { items[i].hidden = !hasRole(items[i].dataset.roles); }
  }

  function fillSelect(sel, items, blank) {
    while (sel.firstChild) { sel.removeChild(sel.firstChild); }
    if (blank) { var o = el("option", null, blank); o.value = ""; sel.appendChild(o); }
    items.forEach(function (it) { var opt = el("option", null, it.name); opt.value = it.id; sel.appendChild(opt); });
  }

  // ------------------------------------------------------------------ queue
  function queueItem(c) {
    var li = el("li", "queue-item");
    li.dataset.id = c.id;
    li.appendChild(el("span", "chan chan-" + c.channel, L("channel", c.channel)));
    li.appendChild(el("strong", "who", c.contact_name));
    li.appendChild(el("span", "wait", fmtWait(c.waiting_seconds)));
    if (c.handoff_reason) { li.appendChild(el("span", "reason", c.handoff_reason)); }
    // the contact form still running: how far it got ("Đang hỏi: địa chỉ (3/4)")
    if (c.form) { li.appendChild(el("span", "form-progress", c.form.text)); }
    li.addEventListener("click", function () { openConversation(c.id); });
    return li;
  }

  function fillList(id, items, make) {
    var list = $(id);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (it) { list.appendChild(make(it)); });
    if (!items.length) { list.appendChild(el("li", "empty", "Không có")); }
  }

  function loadQueue() {
    if (!hasRole("operator supervisor admin")) { return; }
    api("GET", "/queue").then(function (q) {
      fillList("queue-list", q.waiting, queueItem);
      fillList("mine-list", q.mine, queueItem);
      fillList("others-list", q.others, queueItem);
    }).catch(fail);
  }

  // ------------------------------------------------------------------ conversation
  function messageItem(m) {
    var li = el("li", "msg msg-" + m.direction + " by-" + m.sender);
    li.dataset.id = m.id;
    var head = el("div", "msg-head");
    head.appendChild(el("span", "msg-who", SENDER[m.sender] || m.sender));
    if (m.channel) { head.appendChild(el("span", "msg-chan", L("channel", m.channel))); }
    head.appendChild(el("time", null, fmtTime(m.created_at)));
    if (m.direction === "internal") { head.appendChild(el("span", "tag", "nội bộ")); }
    li.appendChild(head);
    li.appendChild(el("div", "msg-text", m.text));
    (m.attachments || []).forEach(function (a) { li.appendChild(el("div", "att", "📎 " + (a.name || a.kind))); });
    if (m.sender === "bot" && m.faq_id) { li.appendChild(wrongButton(m)); }
    return li;
  }

  // learning from use: a bot answer from the FAQ marked wrong (never proposed as a phrasing)
  function wrongButton(m) {
    var b = el("button", "secondary small", "Bot trả lời sai");
    b.type = "button";
    b.title = "Đánh dấu câu trả lời [" + m.faq_id + "] là sai với câu hỏi của người dân";
    b.addEventListener("click", function () {
      api("POST", "/messages/" + m.id + "/wrong").then(function () {
        b.disabled = true; b.textContent = "Đã đánh dấu sai"; flash("Đã ghi nhận: câu trả lời sai");
      }).catch(fail);
    });
    return b;
  }

  function addMessage(m) {
    if (seen[m.id]) { return; }
    seen[m.id] = true;
    $("history").appendChild(messageItem(m));
    $("history").scrollTop = $("history").scrollHeight;
  }

  function openConversation(id) {
    api("GET", "/conversations/" + id).then(function (d) {
      current.conv = d;
      seen = {};
      $("conv").hidden = false;
      var c = d.conversation;
      $("conv-title").textContent = c.contact_name + " — " + (L("channel", c.channel));
      var meta = "Trạng thái: " + L("conversation_state", c.state);
      if (c.form) { meta += " · " + c.form.text; }
      if (c.previous_id) { meta += " · Tiếp nối hội thoại #" + c.previous_id; }
      if (d.assignee) { meta += " · Cán bộ xử lý: " + (d.assignee.full_name || d.assignee.username); }
      if (d.contact && d.contact.phone) { meta += " · ĐT: " + d.contact.phone; }
      meta += " · Liên hệ #" + d.contact.id;
      $("conv-meta").textContent = meta;
      var mine = c.assignee_id === me.id;
      $("take").disabled = c.assignee_id !== null || c.state === "closed";
      $("release").disabled = !(mine || (c.assignee_id && hasRole("supervisor admin")));
      $("reply-send").disabled = !mine;
      var h = $("history");
      while (h.firstChild) { h.removeChild(h.firstChild); }
      d.messages.forEach(addMessage);
      fillList("conv-tickets", d.tickets, function (t) {
        var li = el("li", "ticket-link", t.code + " · " + L("status", t.status) + (t.agency ? " · " + t.agency : ""));
        li.addEventListener("click", function () { show("tickets"); openTicket(t.id); });
        return li;
      });
      // a conversation with a ticket still being handled needs no new one (issue 14)
      $("ticket-form").hidden = d.tickets.some(function (t) { return FINAL_STATUSES.indexOf(t.status) < 0; });
      if (d.contact) {
        $("ticket-name").value = d.contact.full_name || "";
        $("ticket-phone").value = d.contact.phone || "";
        $("ticket-address").value = d.contact.address || "";
      }
      if (ws && ws.readyState === 1) { ws.send(JSON.stringify({ type: "watch", conversation_id: c.id })); }
    }).catch(fail);
  }

  function convAction(path, body) {
    if (!current.conv) { return Promise.resolve(); }
    var id = current.conv.conversation.id;
    return api("POST", "/conversations/" + id + path, body).then(function (r) {
      openConversation(id); loadQueue(); return r;
    }).catch(fail);
  }

  // ------------------------------------------------------------------ tickets
  var DEADLINE = { on_time: "trong hạn", approaching: "sắp đến hạn", overdue: "quá hạn" };

  function ticketItem(t) {
    var li = el("li", "ticket-item" + (t.deadline ? " deadline-" + t.deadline : "") + (t.breach ? " breach" : ""));
    li.dataset.id = t.id;
    li.appendChild(el("strong", "code", t.code));
    li.appendChild(el("span", "status", t.status_label));
    if (t.agency) { li.appendChild(el("span", "agency", t.agency)); }
    if (t.due_at) { li.appendChild(el("span", "due", "hạn " + fmtTime(t.due_at))); }
    if (t.deadline) { li.appendChild(el("span", "badge badge-" + t.deadline, DEADLINE[t.deadline])); }
    if (t.breach) { li.appendChild(el("span", "badge badge-breach", "vi phạm Điều 10.3")); }
    li.appendChild(el("div", "snippet", t.content));
    li.addEventListener("click", function () { show("tickets"); openTicket(t.id); });
    return li;
  }

  function loadTickets() {
    var f = $("ticket-filter").value;
    api("GET", "/tickets" + (f ? "?status=" + encodeURIComponent(f) : "")).then(function (d) {
      fillList("tickets-list", d.tickets, ticketItem);
    }).catch(fail);
  }

  function loadUnclear() {
    api("GET", "/tickets/unclear").then(function (d) { fillList("unclear-list", d.tickets, ticketItem); }).catch(fail);
  }

  function openTicket(id) {
    api("GET", "/tickets/" + id).then(function (t) {
      current.ticket = t;
      $("ticket").hidden = false;
      $("ticket-code").textContent = "Phiếu " + t.code;
      $("ticket-status").textContent = t.status_label;
      var b = $("ticket-deadline");
      b.textContent = t.deadline ? DEADLINE[t.deadline] : "";
      b.className = "badge" + (t.deadline ? " badge-" + t.deadline : "");
      $("ticket-body").textContent = t.content;
      var c = t.contact || {};
      $("ticket-contact").textContent = [c.full_name || c.display_name || t.caller_name, c.phone || t.caller_phone,
        c.address, c.email].filter(Boolean).join(" · ");
      $("ticket-agency").textContent = t.agency || "—";
      $("ticket-due").textContent = t.due_at ? fmtTime(t.due_at) + (t.breach ? " (vi phạm Điều 10.3)" : "") : "—";
      $("ticket-answer").textContent = t.answer || t.refusal_reason || "";
      var files = $("ticket-files");
      while (files.firstChild) { files.removeChild(files.firstChild); }
      (t.files || []).forEach(function (f) {
        var a = el("a", null, "🎧 " + f.name);
        a.href = "/console/api/tickets/" + t.id + "/files/" + f.id;
        files.appendChild(a);
      });
      showTicketActions(t.actions || []);
      fillList("ticket-history", t.history, function (h) {
        return el("li", null, fmtTime(h.at) + " · " + (h.user || "hệ thống") + " · " + L("ticket_event", h.action) +
          (h.agency ? " · " + h.agency : "") + (h.text ? " · " + h.text : "") +
          (h.due_at ? " · hạn " + fmtTime(h.due_at) : ""));
      });
    }).catch(function (err) { $("ticket").hidden = true; fail(err); });
  }

  // Each action form (or button) and the workflow actions it serves; the server computes
  // which actions the ticket's status and the user's role allow (ticket.actions).
  var ACTION_CONTROLS = {
    "forward-form": ["forward"], "unclear-form": ["unclear"], "refuse-form": ["refuse"],
    "assign-form": ["assign"], "progress-form": ["progress"], "answer-form": ["answer", "phone_answered"],
    "answer-send": ["answer"], "phone-answered": ["phone_answered"], "moreinfo-form": ["more_info"],
    "sendback-form": ["send_back"]
  };
  var FINAL_STATUSES = ["answered", "refused", "closed"];

  function showTicketActions(actions) {
    Object.keys(ACTION_CONTROLS).forEach(function (id) {
      $(id).hidden = !ACTION_CONTROLS[id].some(function (a) { return actions.indexOf(a) >= 0; });
    });
  }

  function ticketAction(action, body) {
    if (!current.ticket) { return; }
    var id = current.ticket.id;
    api("POST", "/tickets/" + id + "/" + action, body).then(function () {
      flash("Đã cập nhật phiếu " + current.ticket.code);
      openTicket(id); loadTickets();
    }).catch(fail);
  }

  // ------------------------------------------------------------------ other views
  function loadNotices() {
    api("GET", "/notifications").then(function (d) {
      var unread = d.notifications.filter(function (n) { return !n.read; }).length;
      $("notice-count").textContent = unread ? "(" + unread + ")" : "";
      fillList("notices-list", d.notifications, function (n) {
        var li = el("li", "notice notice-" + n.kind + (n.read ? "" : " unread"), fmtTime(n.created_at) + " · " + n.text);
        if (n.ticket_id) { li.addEventListener("click", function () { show("tickets"); openTicket(n.ticket_id); }); }
        return li;
      });
    }).catch(fail);
  }

  function loadAudit() {
    api("GET", "/audit").then(function (d) {
      var body = $("audit-rows");
      while (body.firstChild) { body.removeChild(body.firstChild); }
      d.entries.forEach(function (a) {
        var tr = el("tr");
        [fmtTime(a.at), a.username || "", a.ip || "", a.action_label, a.object_label]
          .forEach(function (v) { tr.appendChild(el("td", null, v)); });
        body.appendChild(tr);
      });
    }).catch(fail);
  }

  function loadReport() {
    var q = [];
    if ($("report-from").value) { q.push("from=" + $("report-from").value); }
    if ($("report-to").value) { q.push("to=" + $("report-to").value); }
    api("GET", "/report" + (q.length ? "?" + q.join("&") : "")).then(function (r) {
      var parts = Object.keys(r.by_status).map(function (k) { return L("status", k) + ": " + r.by_status[k]; });
      var chans = Object.keys(r.by_channel).map(function (k) { return L("channel", k) + ": " + r.by_channel[k]; });
      $("report-summary").textContent = "Tổng số phiếu: " + r.total + " · " + parts.join(", ") +
        (chans.length ? " · Kênh — " + chans.join(", ") : "");
      var body = $("report-rows");
      while (body.firstChild) { body.removeChild(body.firstChild); }
      r.by_agency.forEach(function (a) {
        var tr = el("tr");
        [a.agency, a.forwarded || 0, a.answered_on_time || 0, a.answered_late || 0, a.overdue_now || 0, a.breaches || 0]
          .forEach(function (v) { tr.appendChild(el("td", null, v)); });
        body.appendChild(tr);
      });
    }).catch(fail);
  }

  function loadAdmin() {
    api("GET", "/users").then(function (d) {
      fillList("users-list", d.users, function (u) {
        return el("li", null, u.username + " · " + L("role", u.role) + (u.active ? "" : " · đã khóa"));
      });
    }).catch(fail);
    fillList("agencies-list", agencies, function (a) { return el("li", null, a.code + " · " + a.name); });
    fillList("domains-list", domains, function (x) { return el("li", null, x.name); });
  }

  function loadReference() {
    return Promise.all([api("GET", "/agencies"), api("GET", "/domains"), api("GET", "/canned")]).then(function (r) {
      agencies = r[0].agencies.filter(function (a) { return a.active; });
      domains = r[1].domains.filter(function (x) { return x.active; });
      var sels = document.querySelectorAll(".agency-select");
      for (var i = 0; i < sels.length; i++) { fillSelect(sels[i], agencies, "— chọn đơn vị —"); }
      var ds = document.querySelectorAll(".domain-select");
      for (var j = 0; j < ds.length; j++) { fillSelect(ds[j], domains, "— chọn lĩnh vực —"); }
      var canned = $("canned");
      while (canned.options.length > 1) { canned.remove(1); }
      r[2].canned.forEach(function (c) {
        var o = el("option", null, c.title); o.value = c.text; canned.appendChild(o);
      });
    });
  }

  // ------------------------------------------------------------------ live updates
  function connect() {
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + window.location.host + "/console/ws");
    ws.onopen = function () {
      $("live").textContent = "●"; $("live").title = "Đang nhận cập nhật trực tiếp";
      if (current.conv) { ws.send(JSON.stringify({ type: "watch", conversation_id: current.conv.conversation.id })); }
      loadQueue();
    };
    ws.onclose = function () { $("live").textContent = "○"; setTimeout(connect, 2000); };
    ws.onmessage = function (ev) {
      var e;
      try { e = JSON.parse(ev.data); } catch (x) { return; }
      if (e.type === "queue") {
        loadQueue();
        if (current.conv && current.conv.conversation.id === e.conversation_id) { openConversation(e.conversation_id); }
      } else if (e.type === "message") {
        if (current.conv && current.conv.conversation.id === e.conversation_id) {
          var m = e.message; m.channel = current.conv.conversation.channel; addMessage(m);
        }
      } else if (e.type === "ticket") {
        if (!$("view-tickets").hidden) { loadTickets(); }
        if (!$("view-unclear").hidden) { loadUnclear(); }
        if (current.ticket && current.ticket.id === e.ticket_id) { openTicket(e.ticket_id); }
      } else if (e.type === "notification") {
        loadNotices();
      }
    };
  }

  // ------------------------------------------------------------------ wiring
  function onSubmit(id, fn) {
    $(id).addEventListener("submit", function (ev) { ev.preventDefault(); fn(); });
  }

  function wire() {
    var tabs = document.querySelectorAll("#tabs button");
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].addEventListener("click", function (ev) { show(ev.currentTarget.dataset.view); });
    }
    $("logout").addEventListener("click", function () {
      api("POST", "/logout").then(function () { window.location.assign("/console/login"); }).catch(fail);
    });
    $("take").addEventListener("click", function () { convAction("/take"); });
    $("release").addEventListener("click", function () { convAction("/release"); });
    $("conv-close").addEventListener("click", function () { convAction("/close"); });
    onSubmit("faq-form", function () {
      var q = $("faq-q").value.trim();
      if (!q) { return; }
      api("GET", "/faq?q=" + encodeURIComponent(q)).then(function (d) {
        if (!d.available) { flash("Chưa có bộ câu hỏi – trả lời nào được kích hoạt", true); }
        fillList("faq-results", d.results, function (r) {
          var li = el("li", "faq-item");
          li.appendChild(el("strong", null, r.question));
          li.appendChild(el("div", "snippet", r.answer));
          if (r.agency) { li.appendChild(el("span", "agency", r.agency)); }
          li.addEventListener("click", function () { $("reply-text").value = r.answer; });
          var use = el("button", "small", "Dùng câu trả lời này");
          use.type = "button";
          use.disabled = $("reply-send").disabled;
          use.addEventListener("click", function (ev) {
            ev.stopPropagation();
            convAction("/faq-reply", { faq_id: r.id });
          });
          li.appendChild(use);
          return li;
        });
      }).catch(fail);
    });
    $("canned").addEventListener("change", function () { if (this.value) { $("reply-text").value = this.value; } });
    onSubmit("reply-form", function () {
      var t = $("reply-text").value.trim();
      if (!t) { return; }
      convAction("/reply", { text: t }).then(function (r) { if (r) { $("reply-text").value = ""; } });
    });
    onSubmit("note-form", function () {
      var t = $("note-text").value.trim();
      if (!t) { return; }
      convAction("/note", { text: t }).then(function (r) { if (r) { $("note-text").value = ""; } });
    });
    onSubmit("ticket-form", function () {
      convAction("/tickets", {
        content: $("ticket-content").value, full_name: $("ticket-name").value, phone: $("ticket-phone").value,
        address: $("ticket-address").value, domain_id: $("ticket-domain").value || null
      }).then(function (r) {
        if (r && r.ticket) { flash("Đã lập phiếu " + r.ticket.code); $("ticket-content").value = ""; }
      });
    });
    $("ticket-filter").addEventListener("change", loadTickets);
    onSubmit("forward-form", function () {
      ticketAction("forward", { agency_id: $("forward-agency").value, note: $("forward-note").value,
        call_transferred: $("forward-call").checked });
    });
    onSubmit("unclear-form", function () { ticketAction("unclear", { note: $("unclear-note").value }); });
    onSubmit("refuse-form", function () { ticketAction("refuse", { reason: $("refuse-reason").value }); });
    onSubmit("assign-form", function () {
      ticketAction("assign", { agency_id: $("assign-agency").value, note: $("assign-note").value });
    });
    onSubmit("progress-form", function () {
      ticketAction("progress", { text: $("progress-text").value, appointment_at: $("progress-at").value });
    });
    onSubmit("answer-form", function () { ticketAction("answer", { text: $("answer-text").value }); });
    $("phone-answered").addEventListener("click", function () {
      ticketAction("phone_answered", { text: $("answer-text").value });
    });
    onSubmit("moreinfo-form", function () { ticketAction("more_info", { text: $("moreinfo-text").value }); });
    onSubmit("sendback-form", function () { ticketAction("send_back", { reason: $("sendback-reason").value }); });
    onSubmit("call-form", function () {
      var form = new FormData($("call-form"));
      api("POST", "/calls", form, true).then(function (r) {
        flash("Đã lưu phiếu cuộc gọi " + r.ticket.code); $("call-form").reset();
      }).catch(fail);
    });
    $("contact-q").addEventListener("input", function () {
      var q = this.value.trim();
      if (q.length < 2) { return; }
      api("GET", "/contacts?q=" + encodeURIComponent(q)).then(function (d) {
        fillList("contact-results", d.contacts, function (c) {
          return el("li", null, "#" + c.id + " · " + [c.full_name || c.display_name, c.phone, c.email]
            .filter(Boolean).join(" · "));
        });
      }).catch(fail);
    });
    onSubmit("merge-form", function () {
      api("POST", "/contacts/merge", { source_id: $("merge-source").value, target_id: $("merge-target").value })
        .then(function () { flash("Đã gộp liên hệ"); }).catch(fail);
    });
    onSubmit("user-form", function () {
      api("POST", "/users", {
        username: $("user-username").value, full_name: $("user-fullname").value, role: $("user-role").value,
        agency_id: $("user-agency").value || null, password: $("user-password").value
      }).then(function () { flash("Đã tạo tài khoản"); $("user-form").reset(); loadAdmin(); }).catch(fail);
    });
    onSubmit("report-form", loadReport);
    onSubmit("password-form", function () {
      api("POST", "/me/password", { current: $("pw-current").value, password: $("pw-new").value })
        .then(function (r) { csrf = r.csrf; $("password-form").reset(); flash("Đã đổi mật khẩu"); }).catch(fail);
    });
    onSubmit("domain-form", function () {
      api("POST", "/domains", { code: $("domain-code").value, name: $("domain-name").value,
        agency_id: $("domain-agency").value || null })
        .then(function () { flash("Đã thêm lĩnh vực"); return loadReference(); }).then(loadAdmin).catch(fail);
    });
    onSubmit("agency-form", function () {
      api("POST", "/agencies", { code: $("agency-code").value, name: $("agency-name").value })
        .then(function () { flash("Đã thêm đơn vị"); return loadReference(); }).then(loadAdmin).catch(fail);
    });
  }

  Promise.all([api("GET", "/me"), api("GET", "/labels")]).then(function (r) {
    var d = r[0];
    LABELS = r[1];
    me = d.user;
    csrf = d.csrf;
    $("whoami").textContent = (me.full_name || me.username) + " · " + L("role", me.role) +
      (me.agency_name ? " · " + me.agency_name : "");
    document.body.dataset.role = me.role;
    applyRoles();
    wire();
    return loadReference();
  }).then(function () {
    connect();
    loadNotices();
    setInterval(function () { if (!$("view-queue").hidden) { loadQueue(); } }, 30000);  // waiting times
    show(hasRole("operator supervisor admin") ? "queue" : "tickets");
  }).catch(fail);
})();
