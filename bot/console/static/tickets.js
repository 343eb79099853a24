/* Tickets: the list (filters, search without diacritics, the citizen's name), the ticket
   page (linked to its conversation and back), the workflow actions its state allows. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, el = HC.el, L = HC.L;

  var T = HC.tickets = { current: null };
  var DEADLINE = HC.DEADLINE;

  function citizen(t) {
    var c = t.contact || {};
    return t.citizen_name || c.full_name || c.display_name || t.caller_name || "";
  }

  function ticketItem(t) {
    var li = el("li", "ticket-item" + (t.deadline ? " deadline-" + t.deadline : "") + (t.breach ? " breach" : ""));
    li.dataset.id = t.id;
    li.appendChild(el("strong", "code", t.code));
    if (t.urgent) { li.appendChild(el("span", "badge badge-urgent", "Khẩn")); }
    li.appendChild(el("span", "status", t.status_label || L("status", t.status)));
    var who = citizen(t);
    if (who) { li.appendChild(el("span", "citizen", who)); }
    if (t.agency) { li.appendChild(el("span", "agency", t.agency)); }
    if (t.due_at) { li.appendChild(el("span", "due", "hạn " + HC.fmtTime(t.due_at))); }
    if (t.deadline) { li.appendChild(el("span", "badge badge-" + t.deadline, DEADLINE[t.deadline])); }
    if (t.breach) { li.appendChild(el("span", "badge badge-breach", "vi phạm Điều 10.3")); }
    li.appendChild(el("div", "snippet", t.content));
    li.addEventListener("click", function () { HC.openTicketPage(t.id); });
    return li;
  }

  function query() {
    var q = [];
    var add = function (k, v) { if (v) { q.push(k + "=" + encodeURIComponent(v)); } };
    add("status", $("ticket-filter").value);
    if (!$("ticket-agency-filter").hidden) { add("agency_id", $("ticket-agency-filter").value); }
    add("domain", $("ticket-domain-filter").value);
    add("overdue", $("ticket-overdue").checked ? "1" : "");
    add("urgent", $("ticket-urgent").checked ? "1" : "");
    add("q", $("ticket-search").value.trim());
    return q.length ? "?" + q.join("&") : "";
  }

  var seq = 0;
  function loadTickets() {
    var mine = ++seq;
    return HC.api("GET", "/tickets" + query()).then(function (d) {
      if (mine !== seq) { return; }  // an older search answered late
      HC.fillList("tickets-list", d.tickets, ticketItem, "Không có phiếu nào khớp");
    }).catch(HC.fail);
  }

  function loadUnclear() {
    return HC.api("GET", "/tickets/unclear").then(function (d) { HC.fillList("unclear-list", d.tickets, ticketItem); }).catch(HC.fail);
  }

  function renderTicket(t) {
    T.current = t;
    $("ticket").hidden = false;
    $("ticket-code").textContent = "Phiếu " + t.code;
    $("ticket-status").textContent = t.status_label || L("status", t.status);
    var b = $("ticket-deadline");
    b.textContent = t.deadline ? DEADLINE[t.deadline] : "";
    b.className = "badge" + (t.deadline ? " badge-" + t.deadline : "");
    $("ticket-urgent-badge").hidden = !t.urgent;
    $("ticket-body").textContent = t.content;
    var c = t.contact || {};
    $("ticket-contact").textContent = [citizen(t), c.phone || t.caller_phone, c.address, c.email].filter(Boolean).join(" · ");
    $("ticket-channel").textContent = L("channel", t.channel);
    $("ticket-domain-name").textContent = t.domain || "—";
    $("ticket-agency").textContent = t.agency || "—";
    $("ticket-due").textContent = t.due_at ? HC.fmtTime(t.due_at) + (t.breach ? " (vi phạm Điều 10.3)" : "") : "—";
    $("ticket-answer").textContent = t.answer || t.refusal_reason || "";
    // the ticket -> conversation link (staff only: agency officers do not see the live queue)
    $("ticket-conv-link").hidden = !(t.conversation_id && HC.hasRole("operator supervisor admin"));
    var files = HC.clear($("ticket-files"));
    (t.files || []).forEach(function (f) {
      var a = el("a", null, "🎧 " + f.name);
      a.href = "/console/api/tickets/" + t.id + "/files/" + f.id;
      files.appendChild(a);
    });
    showActions(t.actions || []);
    var urgent = $("urgent-toggle");
    urgent.hidden = (t.actions || []).indexOf("urgent") < 0;
    urgent.textContent = t.urgent ? "Bỏ đánh dấu khẩn" : "Đánh dấu khẩn";
    // the domain's default agency is the first choice for forwarding
    if (t.domain_agency_id && !$("forward-agency").value) { $("forward-agency").value = String(t.domain_agency_id); }
    ["forward-domain", "assign-domain"].forEach(function (id) {  // the ticket's domain, if it has one
      if (!$(id).value && t.domain_id) { $(id).value = String(t.domain_id); }
    });
    HC.fillList("ticket-history", t.history, function (h) {
      return el("li", null, HC.fmtTime(h.at) + " · " + (h.user || "hệ thống") + " · " + L("ticket_event", h.action) +
        (h.agency ? " · " + h.agency : "") + (h.text ? " · " + h.text : "") +
        (h.due_at ? " · hạn " + HC.fmtTime(h.due_at) : ""));
    });
    HC.emit({ type: "ticket-shown", ticket: t });  // other scripts' boxes on the ticket page (publish.js)
  }

  function openTicket(id) {
    var switched = !T.current || T.current.id !== id;
    if (switched) { ["forward-agency", "forward-domain", "assign-domain"].forEach(function (x) { $(x).value = ""; }); }
    return HC.api("GET", "/tickets/" + id).then(renderTicket).catch(function (err) { $("ticket").hidden = true; HC.fail(err); });
  }

  HC.openTicketPage = function (id) {
    if (!HC.isShown("tickets")) { HC.show("tickets"); }
    return openTicket(id);
  };

  // Each action form (or button) and the workflow actions it serves; the server computes
  // which actions the ticket's status and the user's role allow (ticket.actions).
  var ACTION_CONTROLS = {
    "forward-form": ["forward"], "unclear-form": ["unclear"], "refuse-form": ["refuse"],
    "assign-form": ["assign"], "progress-form": ["progress"], "answer-form": ["answer", "phone_answered"],
    "answer-send": ["answer"], "phone-answered": ["phone_answered"], "moreinfo-form": ["more_info"],
    "sendback-form": ["send_back"]
  };

  function showActions(actions) {
    Object.keys(ACTION_CONTROLS).forEach(function (id) {
      $(id).hidden = !ACTION_CONTROLS[id].some(function (a) { return actions.indexOf(a) >= 0; });
    });
  }

  function act(action, body) {
    if (!T.current) { return; }
    var t = T.current;
    HC.api("POST", "/tickets/" + t.id + "/" + action, body).then(function () {
      HC.flash("Đã cập nhật phiếu " + t.code);
      openTicket(t.id); loadTickets();
    }).catch(HC.fail);
  }

  HC.views.tickets = loadTickets;
  HC.views.unclear = loadUnclear;
  HC.on("resync", function () {
    if (HC.isShown("tickets")) { loadTickets(); }
    if (HC.isShown("unclear")) { loadUnclear(); }
    if (T.current) { openTicket(T.current.id); }
  });
  HC.on("ticket", function (e) {
    if (HC.isShown("tickets")) { loadTickets(); }
    if (HC.isShown("unclear")) { loadUnclear(); }
    if (T.current && T.current.id === e.ticket_id) { openTicket(e.ticket_id); }
  });

  HC.wirers.push(function () {
    var timer = null;
    $("ticket-search").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(loadTickets, 250); });
    ["ticket-filter", "ticket-agency-filter", "ticket-domain-filter", "ticket-overdue", "ticket-urgent"].forEach(function (id) {
      $(id).addEventListener("change", loadTickets);
    });
    HC.onSubmit("ticket-filters", loadTickets);
    $("ticket-conv-link").addEventListener("click", function () {
      if (T.current && T.current.conversation_id) { HC.openConversation(T.current.conversation_id); }
    });
    $("urgent-toggle").addEventListener("click", function () { act("urgent", { urgent: !T.current.urgent }); });
    HC.onSubmit("forward-form", function () {
      act("forward", { agency_id: $("forward-agency").value, note: $("forward-note").value, call_transferred: $("forward-call").checked,
        domain_id: $("forward-domain").value ? Number($("forward-domain").value) : null });
    });
    HC.onSubmit("unclear-form", function () { act("unclear", { note: $("unclear-note").value }); });
    HC.onSubmit("refuse-form", function () { act("refuse", { reason: $("refuse-reason").value }); });
    HC.onSubmit("assign-form", function () {
      act("assign", { agency_id: $("assign-agency").value, note: $("assign-note").value,
        domain_id: $("assign-domain").value ? Number($("assign-domain").value) : null });
    });
    // a domain chosen for the ticket proposes its default agency
    ["forward", "assign"].forEach(function (form) {
      $(form + "-domain").addEventListener("change", function () {
        var d = HC.domains.filter(function (x) { return String(x.id) === this.value; }, this)[0];
        if (d && d.agency_id) { $(form + "-agency").value = String(d.agency_id); }
      });
    });
    HC.onSubmit("progress-form", function () {
      act("progress", { text: $("progress-text").value, appointment_at: $("progress-at").value });
    });
    HC.onSubmit("answer-form", function () { act("answer", { text: $("answer-text").value }); });
    $("phone-answered").addEventListener("click", function () { act("phone_answered", { text: $("answer-text").value }); });
    HC.onSubmit("moreinfo-form", function () { act("more_info", { text: $("moreinfo-text").value }); });
    HC.onSubmit("sendback-form", function () { act("send_back", { reason: $("sendback-reason").value }); });
  });
})();
