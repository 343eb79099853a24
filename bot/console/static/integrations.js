/* Tích hợp (admin, issue 17): the API tokens of /api/v1 (create with scopes, the token shown
   once, revoke) and the outbound webhooks (endpoints: create with the secret shown once,
   pause / resume, delete; the delivery log, filtered and paged, with "Gửi lại" on a failed
   delivery). The APIs are /console/api/integrations/tokens and /console/api/webhooks
   (docs/api.md, docs/webhooks.md). Every server text is written with textContent. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, el = HC.el;
  var SCOPES = {
    "tickets:create": "Tạo phiếu yêu cầu",
    "tickets:read": "Xem trạng thái và trả lời của phiếu",
    "answers:read": "Xem các câu trả lời đã công khai",
    "faq:read": "Tra cứu bộ câu hỏi (FAQ)",
    "webhooks:manage": "Tự quản lý webhook của ứng dụng"
  };
  var EVENTS = {
    "ticket.created": "Phiếu mới",
    "ticket.forwarded": "Phiếu chuyển đơn vị",
    "ticket.progress": "Cập nhật tiến độ",
    "ticket.answered": "Phiếu đã trả lời",
    "ticket.overdue": "Phiếu quá hạn"
  };
  var STATUS = { pending: "đang chờ gửi", delivered: "đã gửi", failed: "thất bại" };
  var log = { page: 1, perPage: 20, total: 0 };
  var endpoints = [];
  var refreshTimer = null;

  function label(table, key) { return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key; }

  function checkboxes(boxId, keys, table, name) {
    var box = $(boxId);
    Array.prototype.slice.call(box.querySelectorAll("label")).forEach(function (l) { box.removeChild(l); });
    keys.forEach(function (k) {
      var l = el("label", "check"), c = el("input");
      c.type = "checkbox"; c.name = name; c.value = k;
      l.title = k;  // the code the API and the CLI use, as a tooltip
      l.appendChild(c); l.appendChild(document.createTextNode(" " + label(table, k)));
      box.appendChild(l);
    });
  }

  function checked(boxId) {
    return Array.prototype.map.call($(boxId).querySelectorAll("input:checked"), function (c) { return c.value; });
  }

  // a token or a secret, shown once: a read-only box to copy from, with the warning
  function showOnce(prefix, value) {
    $(prefix + "-value").value = value;
    $(prefix).hidden = false;
    $(prefix + "-value").select();
  }

  function copy(prefix) {
    var input = $(prefix + "-value");
    input.select();
    var done = function () { HC.flash("Đã sao chép vào bộ nhớ tạm."); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done).catch(function () {
        HC.flash("Không sao chép được tự động: hãy bôi đen và sao chép (Ctrl+C).", true);
      });
    } else if (document.execCommand("copy")) { done(); }
    else { HC.flash("Không sao chép được tự động: hãy bôi đen và sao chép (Ctrl+C).", true); }
  }

  function hideOnce(prefix) { $(prefix + "-value").value = ""; $(prefix).hidden = true; }

  function button(text, cls, fn) {
    var b = el("button", "small " + (cls || "secondary"), text); b.type = "button";
    b.addEventListener("click", fn);
    return b;
  }

  function row(values) {
    var tr = el("tr");
    values.forEach(function (v) { tr.appendChild(v instanceof Node ? v : el("td", null, v)); });
    return tr;
  }

  function td(child) { var c = el("td"); if (child) { c.appendChild(child); } return c; }

  function emptyRow(body, cols, text) {
    var c = el("td", "empty", text); c.colSpan = cols;
    var tr = el("tr"); tr.appendChild(c); body.appendChild(tr);
  }

  // ------------------------------------------------------------------ API tokens
  function loadTokens() {
    return HC.api("GET", "/integrations/tokens").then(function (d) {
      if (!$("token-scopes").querySelector("input")) { checkboxes("token-scopes", d.scopes, SCOPES, "scope"); }
      var body = HC.clear($("tokens-rows"));
      d.tokens.forEach(function (t) {
        var tr = row([t.name, td(el("code", null, t.prefix + "…")),
          t.scopes.map(function (s) { return label(SCOPES, s); }).join("; "),
          HC.fmtTime(t.created_at) + (t.created_by ? " · " + t.created_by : ""),
          t.last_used_at ? HC.fmtTime(t.last_used_at) : "chưa dùng",
          t.revoked_at ? "đã thu hồi " + HC.fmtTime(t.revoked_at) : "đang dùng",
          td(t.revoked_at ? null : button("Thu hồi", null, function () { revoke(t); }))]);
        tr.dataset.id = t.id;
        tr.className = t.revoked_at ? "token revoked" : "token";
        body.appendChild(tr);
      });
      if (!d.tokens.length) { emptyRow(body, 7, "Chưa có mã truy cập nào"); }
    });
  }

  function createToken() {
    var name = $("token-name").value.trim();
    HC.api("POST", "/integrations/tokens", { name: name, scopes: checked("token-scopes") }).then(function (r) {
      $("token-form").reset();
      showOnce("token-secret", r.token);
      HC.flash("Đã tạo mã truy cập «" + r.item.name + "». Hãy sao chép mã ngay: mã chỉ hiển thị một lần.");
      return loadTokens();
    }).catch(HC.fail);
  }

  function revoke(t) {
    if (!window.confirm("Thu hồi mã truy cập «" + t.name + "» (" + t.prefix + "…)? Ứng dụng dùng mã này sẽ không gọi được API nữa; không hoàn tác được.")) { return; }
    HC.api("POST", "/integrations/tokens/" + t.id + "/revoke").then(function () {
      HC.flash("Đã thu hồi mã truy cập «" + t.name + "».");
      return loadTokens();
    }).catch(HC.fail);
  }

  // ------------------------------------------------------------------ webhook endpoints
  function events(list) {
    var all = Object.keys(EVENTS).every(function (k) { return list.indexOf(k) >= 0; });
    return all ? "mọi sự kiện" : list.map(function (x) { return label(EVENTS, x); }).join("; ");
  }

  function loadEndpoints() {
    return HC.api("GET", "/webhooks").then(function (d) {
      endpoints = d.items;
      if (!$("webhook-events").querySelector("input")) { checkboxes("webhook-events", d.event_types, EVENTS, "event"); }
      var body = HC.clear($("webhooks-rows"));
      endpoints.forEach(function (e) {
        var actions = td();
        actions.appendChild(button(e.active ? "Tạm dừng" : "Bật lại", null, function () { setActive(e, !e.active); }));
        actions.appendChild(button("Xoá", null, function () { remove(e); }));
        var tr = row([e.name, td(el("code", null, e.url)), events(e.events),
          e.active ? "đang bật" : "tạm dừng", actions]);
        tr.dataset.id = e.id; tr.className = "endpoint" + (e.active ? "" : " inactive");
        body.appendChild(tr);
      });
      if (!endpoints.length) { emptyRow(body, 5, "Chưa có điểm nhận webhook nào"); }
      var sel = $("delivery-endpoint");
      HC.fillSelect(sel, endpoints, "Mọi điểm nhận", function (e) { return e.name; });
    });
  }

  function createEndpoint() {
    var body = { url: $("webhook-url").value.trim(), events: checked("webhook-events") };
    var name = $("webhook-name").value.trim();
    if (name) { body.name = name; }
    if (!body.events.length) { delete body.events; }  // none chosen: every event
    HC.api("POST", "/webhooks", body).then(function (r) {
      $("webhook-form").reset();
      showOnce("webhook-secret", r.secret);
      HC.flash("Đã thêm điểm nhận «" + r.endpoint.name + "». Hãy sao chép khóa bí mật ngay: khóa chỉ hiển thị một lần.");
      return loadEndpoints();
    }).catch(HC.fail);
  }

  function setActive(e, active) {
    HC.api("POST", "/webhooks/" + e.id + "/active", { active: active }).then(function () {
      HC.flash((active ? "Đã bật lại" : "Đã tạm dừng") + " điểm nhận «" + e.name + "».");
      return loadEndpoints();
    }).catch(HC.fail);
  }

  function remove(e) {
    if (!window.confirm("Xoá điểm nhận «" + e.name + "» (" + e.url + ")? Các lần gửi đang chờ sẽ bị hủy; nhật ký gửi vẫn được giữ.")) { return; }
    HC.api("POST", "/webhooks/" + e.id + "/delete").then(function () {
      HC.flash("Đã xoá điểm nhận «" + e.name + "».");
      return Promise.all([loadEndpoints(), loadDeliveries()]);
    }).catch(HC.fail);
  }

  // ------------------------------------------------------------------ delivery log
  function query() {
    var q = ["page=" + log.page, "per_page=" + log.perPage];
    [["status", "delivery-status"], ["event", "delivery-event"], ["endpoint_id", "delivery-endpoint"], ["ticket", "delivery-ticket"]]
      .forEach(function (p) { var v = $(p[1]).value.trim(); if (v) { q.push(p[0] + "=" + encodeURIComponent(v)); } });
    return "?" + q.join("&");
  }

  function loadDeliveries() {
    return HC.api("GET", "/webhooks/deliveries" + query()).then(function (d) {
      log.total = d.total;
      var body = HC.clear($("deliveries-rows"));
      d.items.forEach(function (x) {
        var last = [x.last_status_code ? "HTTP " + x.last_status_code : "", x.last_error || ""].filter(Boolean).join(" · ");
        var ep = x.endpoint.name + (x.endpoint.deleted ? " (đã xoá)" : "");
        var action = x.status === "failed" && !x.endpoint.deleted ? button("Gửi lại", null, function () { redeliver(x); }) : null;
        var tr = row([label(EVENTS, x.event.type), x.event.ticket_code, ep, td(el("span", "badge wh-" + x.status, label(STATUS, x.status))),
          String(x.attempts), last, x.status === "pending" ? HC.fmtTime(x.next_attempt_at) : "", HC.fmtTime(x.delivered_at), td(action)]);
        tr.dataset.id = x.id; tr.className = "wh-row wh-row-" + x.status;
        body.appendChild(tr);
      });
      if (!d.items.length) { emptyRow(body, 9, "Không có lần gửi nào"); }
      var pages = Math.max(1, Math.ceil(d.total / d.per_page));
      $("deliveries-page").textContent = "Trang " + d.page + "/" + pages + " · " + d.total + " lần gửi";
      $("deliveries-prev").disabled = d.page <= 1;
      $("deliveries-next").disabled = d.page >= pages;
    });
  }

  function redeliver(x) {
    HC.api("POST", "/webhooks/deliveries/" + x.id + "/redeliver").then(function () {
      HC.flash("Đã xếp lần gửi sự kiện " + label(EVENTS, x.event.type) + " (phiếu " + x.event.ticket_code + ") để gửi lại.");
      return loadDeliveries();
    }).catch(HC.fail);
  }

  HC.views.integrations = function () {
    return Promise.all([loadTokens(), loadEndpoints()]).then(loadDeliveries).catch(HC.fail);
  };

  HC.wirers.push(function () {
    if (!HC.hasRole("admin")) { return; }
    HC.onSubmit("token-form", createToken);
    HC.onSubmit("webhook-form", createEndpoint);
    ["token-secret", "webhook-secret"].forEach(function (p) {
      $(p + "-copy").addEventListener("click", function () { copy(p); });
      $(p + "-done").addEventListener("click", function () { hideOnce(p); });
    });
    var sel = $("delivery-status");
    Object.keys(STATUS).forEach(function (k) { var o = el("option", null, STATUS[k]); o.value = k; sel.appendChild(o); });
    var ev = $("delivery-event");
    Object.keys(EVENTS).forEach(function (k) { var o = el("option", null, EVENTS[k]); o.value = k; ev.appendChild(o); });
    HC.onSubmit("delivery-filters", function () { log.page = 1; loadDeliveries().catch(HC.fail); });
    ["delivery-status", "delivery-event", "delivery-endpoint"].forEach(function (id) {
      $(id).addEventListener("change", function () { log.page = 1; loadDeliveries().catch(HC.fail); });
    });
    $("deliveries-prev").addEventListener("click", function () { log.page = Math.max(1, log.page - 1); loadDeliveries().catch(HC.fail); });
    $("deliveries-next").addEventListener("click", function () { log.page += 1; loadDeliveries().catch(HC.fail); });
    $("deliveries-refresh").addEventListener("click", function () { loadDeliveries().catch(HC.fail); });
    HC.on("resync", function () { if (HC.isShown("integrations")) { HC.views.integrations(); } });
    clearInterval(refreshTimer);
    refreshTimer = setInterval(function () {  // the log moves as the workers deliver
      if (HC.isShown("integrations") && !document.hidden) { loadDeliveries().catch(HC.fail); }
    }, 10000);
  });
})();
