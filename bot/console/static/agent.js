/* The agent screen: queues (left), the conversation with its reply box (centre), the
   citizen's context (right); keyboard shortcuts; opt-in desktop notification and sound. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, el = HC.el, L = HC.L;

  var A = HC.agent = { conv: null, queue: null, seen: {}, waitingIds: null, mode: "reply", pick: -1, picks: [] };
  var FINAL = ["answered", "refused", "closed"];

  function chanBase(channel) { return String(channel || "").split(":")[0]; }
  function chanTag(channel) { return el("span", "chan chan-" + chanBase(channel), L("channel", channel)); }

  // ------------------------------------------------------------------ queues (left)
  function queueItem(c) {
    var li = el("li", "queue-item" + (c.sla ? " sla-" + c.sla : ""));
    li.dataset.id = c.id;
    if (A.conv && A.conv.conversation.id === c.id) { li.classList.add("on"); }
    li.appendChild(chanTag(c.channel));
    li.appendChild(el("strong", "who", c.contact_name));
    if (c.unread) {
      var u = el("span", "unread-count", c.unread);
      u.title = c.unread + " tin nhắn chưa trả lời";
      li.appendChild(u);
    }
    var w = el("span", "wait", HC.fmtWait(c.waiting_seconds));
    if (c.sla === "late") { w.title = "Chờ quá lâu"; } else if (c.sla === "warn") { w.title = "Sắp quá thời gian chờ"; }
    li.appendChild(w);
    if (c.handoff_reason) { li.appendChild(el("span", "reason", c.handoff_reason)); }
    if (c.form) { li.appendChild(el("span", "form-progress", c.form.text)); }  // "Đang hỏi: địa chỉ (3/4)"
    li.addEventListener("click", function () { openConversation(c.id); });
    return li;
  }

  function loadQueue() {
    if (!HC.hasRole("operator supervisor admin")) { return Promise.resolve(); }
    return HC.api("GET", "/queue").then(function (q) {
      A.queue = q;
      HC.fillList("queue-list", q.waiting, queueItem);
      HC.fillList("mine-list", q.mine, queueItem);
      HC.fillList("others-list", q.others, queueItem);
      $("queue-count").textContent = q.waiting.length ? "(" + q.waiting.length + ")" : "";
      document.title = (q.waiting.length ? "(" + q.waiting.length + ") " : "") + "Bảng điều khiển — Tổng đài 1022";
      announce(q.waiting);
    }).catch(HC.fail);
  }

  // ------------------------------------------------------------------ notification (opt-in)
  function notifyOn() { return $("notify-toggle").checked; }

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.25);
    } catch (x) { /* no sound device */ }
  }

  function announce(waiting) {
    var ids = {};
    waiting.forEach(function (c) { ids[c.id] = true; });
    var fresh = A.waitingIds === null ? [] : waiting.filter(function (c) { return !A.waitingIds[c.id]; });
    A.waitingIds = ids;
    if (!fresh.length || !notifyOn()) { return; }
    beep();
    if (window.Notification && Notification.permission === "granted") {
      fresh.forEach(function (c) {
        var n = new Notification("Hội thoại mới đang chờ cán bộ", { body: c.contact_name + " · " + L("channel", c.channel), tag: "conv-" + c.id });
        n.onclick = function () { window.focus(); HC.show("queue"); openConversation(c.id); };
      });
    }
  }

  function wireNotify() {
    var box = $("notify-toggle");
    box.checked = window.localStorage.getItem("hc.notify") === "1";
    box.addEventListener("change", function () {
      window.localStorage.setItem("hc.notify", box.checked ? "1" : "0");
      if (box.checked && window.Notification && Notification.permission === "default") {
        Notification.requestPermission().then(function (p) {
          if (p !== "granted") { HC.flash("Trình duyệt chưa cho phép thông báo: chỉ có âm thanh báo hội thoại mới", true); }
        });
      }
    });
  }

  // ------------------------------------------------------------------ conversation (centre)
  function messageItem(m) {
    var li = el("li", "msg msg-" + m.direction + " by-" + m.sender);
    li.dataset.id = m.id;
    var head = el("div", "msg-head");
    head.appendChild(el("span", "msg-who", L("sender", m.sender)));
    if (m.channel) { head.appendChild(el("span", "msg-chan", L("channel", m.channel))); }
    head.appendChild(el("time", null, HC.fmtTime(m.created_at)));
    if (m.direction === "internal") { head.appendChild(el("span", "tag", "nội bộ")); }
    if (m.direction === "out" && m.status) {
      head.appendChild(el("span", "delivery delivery-" + m.status, (m.status === "read" ? "✓✓ " : "✓ ") + L("delivery", m.status)));
    }
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
      HC.api("POST", "/messages/" + m.id + "/wrong").then(function () {
        b.disabled = true; b.textContent = "Đã đánh dấu sai"; HC.flash("Đã ghi nhận: câu trả lời sai");
      }).catch(HC.fail);
    });
    return b;
  }

  function addMessage(m) {
    var h = $("history");
    var old = h.querySelector("li.msg[data-id='" + Number(m.id) + "']");
    if (old) { h.replaceChild(messageItem(m), old); return; }  // e.g. its delivery status changed
    h.appendChild(messageItem(m));
    h.scrollTop = h.scrollHeight;
  }

  function renderHead(d) {
    var c = d.conversation;
    $("conv-title").textContent = c.contact_name + " — " + L("channel", c.channel);
    var meta = "Trạng thái: " + L("conversation_state", c.state);
    if (c.form) { meta += " · " + c.form.text; }
    if (c.previous_id) { meta += " · Tiếp nối hội thoại #" + c.previous_id; }
    if (d.assignee) { meta += " · Cán bộ xử lý: " + (d.assignee.full_name || d.assignee.username); }
    if (d.contact && d.contact.phone) { meta += " · ĐT: " + d.contact.phone; }
    meta += " · Liên hệ #" + d.contact.id;
    $("conv-meta").textContent = meta;
    var mine = c.assignee_id === HC.me.id, open = c.state !== "closed";
    // only the actions that fit the conversation's state
    $("take").hidden = !(c.assignee_id === null && open);
    $("take").disabled = $("take").hidden;
    $("release").hidden = !(mine || (c.assignee_id && HC.hasRole("supervisor admin")));
    $("conv-close").hidden = !open;
    setMode(A.mode);
  }

  function openConversation(id) {
    return HC.api("GET", "/conversations/" + id).then(function (d) {
      var switched = !A.conv || A.conv.conversation.id !== d.conversation.id;
      A.conv = d;
      $("conv-empty").hidden = true;
      $("conv-head").hidden = false; $("history").hidden = false; $("composer").hidden = false; $("context").hidden = false;
      renderHead(d);
      HC.clear($("history"));
      d.messages.forEach(addMessage);
      renderContext(d, switched);
      var items = document.querySelectorAll(".queue li.queue-item");
      for (var i = 0; i < items.length; i++) { items[i].classList.toggle("on", Number(items[i].dataset.id) === d.conversation.id); }
      if (HC.ws && HC.ws.readyState === 1) { HC.ws.send(JSON.stringify({ type: "watch", conversation_id: d.conversation.id })); }
      return d;
    }).catch(HC.fail);
  }
  HC.openConversation = function (id) { HC.show("queue"); return openConversation(id); };

  function convAction(path, body) {
    if (!A.conv) { return Promise.resolve(); }
    var id = A.conv.conversation.id;
    return HC.api("POST", "/conversations/" + id + path, body).then(function (r) {
      openConversation(id); loadQueue(); return r;
    }).catch(HC.fail);
  }
  A.convAction = convAction;

  // ------------------------------------------------------------------ reply box
  function setMode(mode) {
    A.mode = mode;
    var note = mode === "note";
    $("mode-reply").classList.toggle("on", !note); $("mode-reply").setAttribute("aria-selected", String(!note));
    $("mode-note").classList.toggle("on", note); $("mode-note").setAttribute("aria-selected", String(note));
    $("composer").classList.toggle("note", note);
    $("reply-text").placeholder = note ? "Ghi chú nội bộ: chỉ cán bộ thấy, không gửi công dân (Ctrl+Enter để lưu)" :
      "Nhập trả lời… Gõ / để tìm câu trả lời mẫu và FAQ; Ctrl+Enter để gửi";
    var mine = A.conv && A.conv.conversation.assignee_id === HC.me.id;
    $("reply-send").textContent = note ? "Lưu ghi chú" : "Gửi trả lời";
    $("reply-send").disabled = note ? !A.conv : !mine;
    $("reply-send").title = !note && !mine ? "Nhận xử lý hội thoại trước khi trả lời (Alt+T)" : "Ctrl+Enter";
  }

  function send() {
    var t = $("reply-text").value.trim();
    if (!t || $("reply-send").disabled) { return; }
    closeSuggest();
    convAction(A.mode === "note" ? "/note" : "/reply", { text: t }).then(function (r) {
      if (r) { $("reply-text").value = ""; HC.flash(A.mode === "note" ? "Đã lưu ghi chú nội bộ" : "Đã gửi trả lời"); }
    });
  }

  var lastTyping = 0;
  function typing() {
    if (A.mode !== "reply" || !A.conv || A.conv.conversation.assignee_id !== HC.me.id) { return; }
    var now = Date.now();
    if (now - lastTyping < 4000) { return; }
    lastTyping = now;
    HC.api("POST", "/conversations/" + A.conv.conversation.id + "/typing", { on: true }).catch(function () { /* best effort */ });
  }

  // "/" in the reply box: canned answers and FAQ entries; the chosen text is inserted, editable
  function slashQuery() {
    var ta = $("reply-text");
    var before = ta.value.slice(0, ta.selectionStart);
    var m = /(^|\s)\/([^\n/]*)$/.exec(before);
    return m ? { start: before.length - m[2].length - 1, query: m[2] } : null;
  }

  var suggestTimer = null, suggestSeq = 0;
  function updateSuggest() {
    var s = slashQuery();
    if (!s) { closeSuggest(); return; }
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(function () { runSuggest(s.query.trim()); }, 180);
  }

  function runSuggest(query) {
    var seq = ++suggestSeq, q = HC.fold(query);
    var canned = HC.canned.filter(function (c) { return !q || HC.fold(c.title + " " + c.text).indexOf(q) >= 0; })
      .slice(0, 6).map(function (c) { return { kind: "Câu trả lời mẫu", title: c.title, text: c.text }; });
    if (query.length < 2) { showSuggest(canned, query); return; }
    HC.api("GET", "/faq?q=" + encodeURIComponent(query)).then(function (d) {
      if (seq !== suggestSeq) { return; }
      var faq = (d.results || []).slice(0, 6).map(function (r) {
        return { kind: "FAQ" + (r.agency ? " · " + r.agency : ""), title: r.question, text: r.answer };
      });
      showSuggest(canned.concat(faq), query);
    }).catch(HC.fail);
  }

  function showSuggest(items, query) {
    var list = HC.clear($("suggest"));
    A.picks = items; A.pick = items.length ? 0 : -1;
    items.forEach(function (it, i) {
      var li = el("li", "suggest-item" + (i === 0 ? " on" : ""));
      li.setAttribute("role", "option");
      li.appendChild(el("span", "kind", it.kind));
      li.appendChild(el("strong", null, it.title));
      li.appendChild(el("div", "snippet", it.text));
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    if (!items.length) {
      list.appendChild(el("li", "empty", query.length < 2 ? "Gõ thêm từ khóa để tìm trong FAQ" : "Không tìm thấy câu trả lời phù hợp"));
    }
    list.hidden = false;
  }

  function closeSuggest() { $("suggest").hidden = true; A.picks = []; A.pick = -1; }

  function movePick(step) {
    if (!A.picks.length) { return; }
    A.pick = (A.pick + step + A.picks.length) % A.picks.length;
    var items = $("suggest").querySelectorAll("li.suggest-item");
    for (var i = 0; i < items.length; i++) { items[i].classList.toggle("on", i === A.pick); }
    items[A.pick].scrollIntoView({ block: "nearest" });
  }

  function choose(i) {
    var it = A.picks[i], s = slashQuery(), ta = $("reply-text");
    if (!it) { return; }
    var start = s ? s.start : ta.selectionStart, end = ta.selectionStart;
    ta.value = ta.value.slice(0, start) + it.text + ta.value.slice(end);
    var caret = start + it.text.length;
    ta.focus(); ta.setSelectionRange(caret, caret);
    closeSuggest();
  }

  function insertSlash() {
    var ta = $("reply-text"), at = ta.selectionStart;
    var pre = at > 0 && !/\s/.test(ta.value.charAt(at - 1)) ? " /" : "/";
    ta.value = ta.value.slice(0, at) + pre + ta.value.slice(ta.selectionEnd);
    ta.focus(); ta.setSelectionRange(at + pre.length, at + pre.length);
    updateSuggest();
  }

  function wireComposer() {
    var ta = $("reply-text");
    $("mode-reply").addEventListener("click", function () { setMode("reply"); ta.focus(); });
    $("mode-note").addEventListener("click", function () { setMode("note"); ta.focus(); });
    HC.onSubmit("composer", send);
    ta.addEventListener("input", function () { updateSuggest(); typing(); });
    ta.addEventListener("keydown", function (ev) {
      var open = !$("suggest").hidden;
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); send(); return; }
      if (!open) { return; }
      if (ev.key === "ArrowDown") { ev.preventDefault(); movePick(1); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); movePick(-1); }
      else if ((ev.key === "Enter" || ev.key === "Tab") && A.pick >= 0) { ev.preventDefault(); choose(A.pick); }
      else if (ev.key === "Escape") { ev.preventDefault(); closeSuggest(); }
    });
    ta.addEventListener("blur", function () { setTimeout(closeSuggest, 150); });
    $("insert-faq").addEventListener("click", insertSlash);
    $("canned").addEventListener("change", function () {
      if (this.value) { ta.value = this.value; ta.focus(); this.value = ""; }
    });
  }

  // ------------------------------------------------------------------ keyboard
  function editing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
  }

  function nextConversation() {
    if (!A.queue) { return; }
    var current = A.conv ? A.conv.conversation.id : null;
    var order = A.queue.waiting.concat(A.queue.mine);
    var next = order.filter(function (c) { return c.id !== current; })[0];
    if (next) { openConversation(next.id).then(function () { $("take").hidden ? $("reply-text").focus() : $("take").focus(); }); }
    else { HC.flash("Không còn hội thoại nào đang chờ"); }
  }

  function take() {
    if ($("take").hidden || $("take").disabled) { return; }
    convAction("/take").then(function (r) { if (r) { setMode("reply"); $("reply-text").focus(); } });
  }

  function wireKeys() {
    document.addEventListener("keydown", function (ev) {
      if (!HC.isShown("queue") || ev.ctrlKey || ev.metaKey) { return; }
      var key = ev.altKey ? ev.code : null;
      if (key === "KeyN") { ev.preventDefault(); nextConversation(); }
      else if (key === "KeyT") { ev.preventDefault(); take(); }
      else if (key === "KeyG" && A.conv) { ev.preventDefault(); setMode(A.mode === "note" ? "reply" : "note"); $("reply-text").focus(); }
      else if (key === "KeyF" && A.conv) { ev.preventDefault(); insertSlash(); }
      else if (!ev.altKey && ev.key === "/" && A.conv && !editing(ev.target)) { ev.preventDefault(); insertSlash(); }
    });
  }

  // ------------------------------------------------------------------ context (right)
  var CONTACT_FIELDS = ["full_name", "phone", "email", "address"];

  function renderContext(d, switched) {
    var c = d.contact || {};
    $("ctx-contact-id").textContent = c.id ? "#" + c.id : "";
    if (switched) {  // never overwrite what the operator is typing on a live refresh
      CONTACT_FIELDS.forEach(function (f) { $("contact-" + f).value = c[f] || ""; });
      $("ticket-name").value = c.full_name || ""; $("ticket-phone").value = c.phone || ""; $("ticket-address").value = c.address || "";
      HC.clear($("ctx-merge-results")); $("ctx-merge-q").value = "";
    }
    HC.fillList("contact-channels", d.identities || [], function (i) {
      var li = el("li");
      li.appendChild(chanTag(i.channel));
      li.appendChild(el("span", null, i.display_name || ""));
      return li;
    });
    HC.fillList("conv-tickets", d.tickets, ticketLink, "Chưa có phiếu");
    // a conversation with a ticket still being handled needs no new one (issue 14)
    $("ticket-new").hidden = d.tickets.some(function (t) { return FINAL.indexOf(t.status) < 0; });
  }

  function ticketLink(t) {
    var li = el("li", "ticket-link" + (t.deadline ? " deadline-" + t.deadline : ""));
    li.dataset.id = t.id;
    li.appendChild(el("strong", null, t.code));
    li.appendChild(el("span", "status", L("status", t.status)));
    if (t.agency) { li.appendChild(el("span", "agency", t.agency)); }
    if (t.due_at) { li.appendChild(el("span", "due", "hạn " + HC.fmtTime(t.due_at))); }
    if (t.deadline) { li.appendChild(el("span", "badge badge-" + t.deadline, HC.DEADLINE[t.deadline])); }
    li.addEventListener("click", function () { HC.openTicketPage(t.id); });
    return li;
  }

  function saveContact() {
    if (!A.conv) { return; }
    var body = {};
    CONTACT_FIELDS.forEach(function (f) { body[f] = $("contact-" + f).value.trim(); });
    HC.api("POST", "/contacts/" + A.conv.contact.id, body).then(function () {
      HC.flash("Đã lưu thông tin liên hệ");
      return openConversation(A.conv.conversation.id).then(loadQueue);
    }).catch(HC.fail);
  }

  var mergeTimer = null;
  function searchDuplicates() {
    var q = $("ctx-merge-q").value.trim();
    clearTimeout(mergeTimer);
    if (q.length < 2 || !A.conv) { HC.clear($("ctx-merge-results")); return; }
    mergeTimer = setTimeout(function () {
      HC.api("GET", "/contacts?q=" + encodeURIComponent(q)).then(function (d) {
        var own = A.conv.contact.id;
        HC.fillList("ctx-merge-results", d.contacts.filter(function (c) { return c.id !== own; }), function (c) {
          var li = el("li", null, "#" + c.id + " · " + [c.full_name || c.display_name, c.phone, c.email].filter(Boolean).join(" · "));
          var b = el("button", "small secondary", "Gộp vào liên hệ này");
          b.type = "button";
          b.addEventListener("click", function () {
            HC.api("POST", "/contacts/merge", { source_id: c.id, target_id: own }).then(function () {
              HC.flash("Đã gộp liên hệ #" + c.id + " vào #" + own);
              openConversation(A.conv.conversation.id);
            }).catch(HC.fail);
          });
          li.appendChild(b);
          return li;
        }, "Không tìm thấy liên hệ khác");
      }).catch(HC.fail);
    }, 250);
  }

  function createTicket() {
    convAction("/tickets", {
      content: $("ticket-content").value, full_name: $("ticket-name").value, phone: $("ticket-phone").value,
      address: $("ticket-address").value, domain_id: $("ticket-domain").value || null
    }).then(function (r) {
      if (r && r.ticket) { HC.flash("Đã lập phiếu " + r.ticket.code); $("ticket-content").value = ""; }
    });
  }

  function searchFaq() {
    var q = $("faq-q").value.trim();
    if (!q) { return; }
    HC.api("GET", "/faq?q=" + encodeURIComponent(q)).then(function (d) {
      if (!d.available) { HC.flash("Chưa có bộ câu hỏi – trả lời nào được kích hoạt", true); }
      HC.fillList("faq-results", d.results, function (r) {
        var li = el("li", "faq-item");
        li.appendChild(el("strong", null, r.question));
        li.appendChild(el("div", "snippet", r.answer));
        if (r.agency) { li.appendChild(el("span", "agency", r.agency)); }
        var ins = el("button", "small secondary", "Chèn vào ô trả lời");
        ins.type = "button";
        ins.addEventListener("click", function (ev) { ev.stopPropagation(); $("reply-text").value = r.answer; $("reply-text").focus(); });
        li.appendChild(ins);
        var use = el("button", "small", "Dùng câu trả lời này");  // sent as is, recorded for learning
        use.type = "button";
        use.disabled = !A.conv || A.conv.conversation.assignee_id !== HC.me.id;
        use.addEventListener("click", function (ev) { ev.stopPropagation(); convAction("/faq-reply", { faq_id: r.id }); });
        li.appendChild(use);
        return li;
      });
    }).catch(HC.fail);
  }

  // ------------------------------------------------------------------ wiring
  HC.views.queue = loadQueue;
  HC.loadQueue = loadQueue;
  HC.on("queue", function (e) {
    loadQueue();
    if (A.conv && A.conv.conversation.id === e.conversation_id) { openConversation(e.conversation_id); }
  });
  HC.on("message", function (e) {
    if (A.conv && A.conv.conversation.id === e.conversation_id) {
      var m = e.message; m.channel = m.channel || A.conv.conversation.channel; addMessage(m);
    }
    if (e.message && e.message.direction === "in") { loadQueue(); }  // unread counts
  });
  HC.on("resync", function () {
    loadQueue();
    if (A.conv) { openConversation(A.conv.conversation.id); }
  });
  HC.on("open", function () {
    if (A.conv && HC.ws) { HC.ws.send(JSON.stringify({ type: "watch", conversation_id: A.conv.conversation.id })); }
    loadQueue();
  });
  HC.on("reference", function () {
    var canned = $("canned");
    while (canned.options.length > 1) { canned.remove(1); }
    HC.canned.forEach(function (c) { var o = el("option", null, c.title); o.value = c.text; canned.appendChild(o); });
  });

  HC.wirers.push(function () {
    $("take").addEventListener("click", take);
    $("release").addEventListener("click", function () { convAction("/release"); });
    $("conv-close").addEventListener("click", function () { convAction("/close"); });
    HC.onSubmit("contact-form", saveContact);
    $("ctx-merge-q").addEventListener("input", searchDuplicates);
    HC.onSubmit("ticket-form", createTicket);
    HC.onSubmit("faq-form", searchFaq);
    wireComposer();
    wireKeys();
    wireNotify();
    setInterval(function () { if (HC.isShown("queue")) { loadQueue(); } }, 30000);  // waiting times
  });
})();
