/* Yêu cầu dữ liệu (issue 18): citizens' data requests for the supervisor and the admin.
   The list (reference, kind, channel, received, acknowledgement due, answer due — extended —,
   status, lateness in red), open or all; one request's detail (the citizen's text, contact,
   verification, history) with the actions its state allows: acknowledge, extend once (with a
   reason), answer, refuse (legal basis), anonymise an answered deletion (typed confirmation),
   lift a restriction; and the contact's access log ("Nhật ký truy cập").
   APIs: /console/api/data-requests (bot/console/privacy_api.py) and
   /console/api/contacts/{id}/export.* | access-log (bot/console/contact_data_api.py).
   Self-contained: it fills <section id="view-datarequests">; every server text is textContent. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, el = HC.el;
  var ROLES = "supervisor admin";
  var OPEN = ["received", "acknowledged", "extended"];
  var current = null;  // the request shown (its id), or null
  var VERIFY = {
    channel: "Qua kênh liên lạc của chính công dân",
    ticket_phone: "Mã phiếu và số điện thoại",
    email_code: "Mã một lần gửi tới e-mail/điện thoại đã lưu"
  };
  var CORRECT_FIELDS = [["full_name", "Họ tên"], ["phone", "Số điện thoại"], ["email", "E-mail"], ["address", "Địa chỉ"]];

  function day(iso) {
    if (!iso) { return "—"; }
    return new Date(iso).toLocaleDateString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric" });
  }

  function answerDue(r) { return r.extended_due ? day(r.extended_due) + " (đã gia hạn)" : day(r.due_at); }

  function isOpen(r) { return OPEN.indexOf(r.status) >= 0; }

  function pane() { return HC.clear($("dr-pane")); }

  function cell(tr, text, cls) { tr.appendChild(el("td", cls || null, text)); }

  function loadList() {
    var open = $("dr-filter").value === "open";
    return HC.api("GET", "/data-requests" + (open ? "?open=1" : "")).then(function (d) {
      var body = HC.clear($("dr-rows"));
      $("dr-late").textContent = d.late ? d.late + " yêu cầu quá hạn" : "";
      d.items.forEach(function (r) {
        var tr = el("tr", "dr-row" + (r.late ? " dr-late" : "") + (r.id === current ? " on" : ""));
        tr.dataset.id = r.id;
        cell(tr, r.reference);
        cell(tr, r.kind_label);
        cell(tr, HC.L("channel", r.channel));
        cell(tr, HC.fmtTime(r.received_at));
        cell(tr, day(r.ack_due), r.ack_late ? "late" : null);
        cell(tr, answerDue(r));
        cell(tr, r.status_label);
        cell(tr, r.late ? "Quá hạn" : (r.ack_late ? "Chậm xác nhận" : ""), r.late || r.ack_late ? "late" : null);
        tr.addEventListener("click", function () { openRequest(r.id); });
        body.appendChild(tr);
      });
      if (!d.items.length) {
        var tr = el("tr", "empty");
        tr.appendChild(el("td", null, "Không có yêu cầu nào")).colSpan = 8;
        body.appendChild(tr);
      }
    });
  }

  function fact(dl, label, value) {
    dl.appendChild(el("dt", null, label));
    dl.appendChild(el("dd", null, value === null || value === undefined || value === "" ? "—" : value));
  }

  function history(r) {
    var ol = el("ol", "dr-history");
    function add(at, text) { if (at) { ol.appendChild(el("li", null, HC.fmtTime(at) + " · " + text)); } }
    add(r.received_at, "Tiếp nhận qua " + HC.L("channel", r.channel));
    add(r.acknowledged_at, "Đã xác nhận tiếp nhận");
    if (r.extended_due) { ol.appendChild(el("li", null, "Gia hạn đến " + day(r.extended_due) + ": " + (r.extension_reason || ""))); }
    add(r.answered_at, r.status_label + (r.handled_by ? " (" + r.handled_by + ")" : ""));
    return ol;
  }

  // a form of textareas/inputs posting to the request's action; done(d) shows the result
  function actionForm(cls, title, inputs, button, path, done) {
    var form = el("form", "dr-action " + cls);
    form.appendChild(el("h4", null, title));
    inputs.forEach(function (f) {
      var id = cls + "-" + f[0];
      form.appendChild(el("label", null, f[1])).htmlFor = id;
      var input = el(f[2] === "text" ? "input" : "textarea");
      input.id = id;
      input.name = f[0];
      form.appendChild(input);
    });
    var go = el("button", null, button);
    go.type = "submit";
    form.appendChild(go);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = {};
      inputs.forEach(function (f) {
        var v = form.elements[f[0]].value.trim();
        if (f[3] === "change") { if (v) { (body.changes = body.changes || {})[f[0]] = v; } } else if (v || f[3] === "required") { body[f[0]] = v; }
      });
      HC.api("POST", path, body).then(function (d) { (done || show)(d); return loadList(); }).catch(HC.fail);
    });
    return form;
  }

  function button(text, cls, fn) {
    var b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", fn);
    return b;
  }

  function exportLinks(r) {
    var p = el("p", "dr-export");
    p.appendChild(document.createTextNode("Tải bản sao dữ liệu của liên hệ: "));
    ["json", "xlsx", "pdf"].forEach(function (fmt) {
      var a = el("a", null, fmt.toUpperCase());
      a.href = "/console/api/contacts/" + r.contact_id + "/export." + fmt;
      a.setAttribute("download", "");
      p.appendChild(a);
      p.appendChild(document.createTextNode(" "));
    });
    return p;
  }

  function post(path, done) {
    return HC.api("POST", path, {}).then(function (d) { done(d); return loadList(); }).catch(HC.fail);
  }

  function answered(d) {
    if (d.kept && d.kept.length) {
      show(d);
      var box = $("dr-pane").appendChild(el("div", "dr-kept"));
      box.appendChild(el("h4", null, "Từ chối xoá: các hồ sơ phải lưu giữ"));
      var ul = box.appendChild(el("ul"));
      d.kept.forEach(function (k) { ul.appendChild(el("li", null, (k.label || "") + ": " + (k.basis || ""))); });
      HC.flash("Yêu cầu xoá bị từ chối theo căn cứ pháp lý; đã đề nghị hạn chế xử lý");
      return;
    }
    HC.flash(d.sent_message_id ? "Đã trả lời và gửi tới công dân" : "Đã trả lời (không có kênh để gửi)");
    show(d);
  }

  function answerForm(r) {
    var path = "/data-requests/" + r.id + "/answer";
    var text = ["text", "Nội dung trả lời công dân", "textarea"];
    if (r.kind === "view" || r.kind === "copy") {
      var f = actionForm("dr-answer", "Trả lời", [text], "Trả lời và gửi", path, answered);
      f.insertBefore(el("p", "hint", "Bản sao dữ liệu được lập và đính kèm cho cán bộ; công dân nhận nội dung trả lời kèm bản tóm tắt dữ liệu đang lưu."), f.lastChild);
      f.insertBefore(exportLinks(r), f.lastChild);
      return f;
    }
    if (r.kind === "correct") {
      var fields = CORRECT_FIELDS.map(function (c) { return [c[0], c[1] + " (mới)", "text", "change"]; });
      return actionForm("dr-answer", "Chỉnh sửa và trả lời", fields.concat([text]), "Chỉnh sửa và gửi", path, answered);
    }
    if (r.kind === "delete") {
      var d = actionForm("dr-answer", "Trả lời yêu cầu xoá", [text], "Kiểm tra hồ sơ và trả lời", path, answered);
      d.insertBefore(el("p", "hint", "Nếu có hồ sơ phải lưu giữ, yêu cầu bị từ chối kèm căn cứ pháp lý; nếu không, công dân được báo đồng ý xoá rồi mới ẩn danh hoá."), d.lastChild);
      return d;
    }
    return actionForm("dr-answer", "Trả lời", [text], "Trả lời và gửi", path, answered);
  }

  function anonymiseForm(r) {
    var form = el("form", "dr-action dr-anonymise");
    form.appendChild(el("h4", null, "Ẩn danh hoá"));
    form.appendChild(el("p", "warn", "Không thể hoàn tác: họ tên, số điện thoại, địa chỉ, nội dung tin nhắn và tệp của công dân bị xoá vĩnh viễn. Gõ mã yêu cầu " + r.reference + " để xác nhận."));
    var input = form.appendChild(el("input"));
    input.id = "dr-anonymise-confirm";
    var go = form.appendChild(el("button", "danger", "Ẩn danh hoá"));
    go.type = "submit";
    go.disabled = true;
    input.addEventListener("input", function () { go.disabled = input.value.trim() !== r.reference; });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (input.value.trim() !== r.reference) { return; }
      post("/data-requests/" + r.id + "/anonymise", function (d) { HC.flash("Đã ẩn danh hoá dữ liệu của công dân"); show(d); });
    });
    return form;
  }

  function actions(root, r) {
    var id = r.id;
    if (isOpen(r)) {
      var row = root.appendChild(el("p", "actions"));
      if (r.status === "received") {
        row.appendChild(button("Xác nhận tiếp nhận", "dr-ack", function () {
          post("/data-requests/" + id + "/acknowledge", function (d) { HC.flash("Đã xác nhận và báo công dân"); show(d); });
        }));
      }
      root.appendChild(answerForm(r));
      if (r.status !== "extended") {
        root.appendChild(actionForm("dr-extend", "Gia hạn (một lần)", [["reason", "Lý do gia hạn", "textarea", "required"]], "Gia hạn", "/data-requests/" + id + "/extend"));
      }
      root.appendChild(actionForm("dr-refuse", "Từ chối", [["basis", "Căn cứ pháp lý", "textarea", "required"], ["text", "Nội dung gửi công dân (nếu để trống, tạo từ căn cứ)", "textarea"]], "Từ chối", "/data-requests/" + id + "/refuse"));
    } else if (r.kind === "delete" && r.status === "answered" && !r.anonymised_at) {
      root.appendChild(anonymiseForm(r));
    }
    if (r.restricted) {
      root.appendChild(el("p", "actions")).appendChild(button("Bỏ hạn chế xử lý", "dr-lift", function () {
        post("/data-requests/restrictions/" + r.contact_id + "/lift", function () { HC.flash("Đã bỏ hạn chế xử lý"); openRequest(id); });
      }));
    }
  }

  function accessLog(r, box) {
    return HC.api("GET", "/contacts/" + r.contact_id + "/access-log?limit=200").then(function (d) {
      var table = HC.clear(box).appendChild(el("table", "dr-access"));
      var head = table.appendChild(el("thead")).appendChild(el("tr"));
      ["Người dùng", "Vai trò", "Thao tác", "Đối tượng", "Thời điểm", "IP"].forEach(function (h) { head.appendChild(el("th", null, h)); });
      var body = table.appendChild(el("tbody"));
      d.access_log.forEach(function (a) {
        var tr = body.appendChild(el("tr"));
        cell(tr, a.username || (a.detail && a.detail.token ? "API: " + a.detail.token : "—"));
        cell(tr, HC.L("role", a.role));
        cell(tr, HC.L("audit_action", a.action));
        cell(tr, HC.L("audit_object", a.object_type) + (a.object_id ? " số " + a.object_id : ""));
        cell(tr, HC.fmtTime(a.at));
        cell(tr, a.ip || "");
      });
      if (!d.access_log.length) { body.appendChild(el("tr")).appendChild(el("td", null, "Chưa có ai truy cập")).colSpan = 6; }
    }).catch(HC.fail);
  }

  function show(r) {
    current = r.id;
    var root = pane();
    root.appendChild(el("h3", null, "Yêu cầu " + r.reference + " · " + r.kind_label + " · " + r.status_label));
    if (r.late) { root.appendChild(el("p", "late", "Quá hạn trả lời")); }
    var dl = root.appendChild(el("dl", "facts"));
    fact(dl, "Nội dung công dân gửi", r.text);
    var who = r.contact || {};
    fact(dl, "Người yêu cầu", [who.name, who.phone, who.email, who.address].filter(Boolean).join(" · ") +
      " (liên hệ số " + r.contact_id + ")");
    if (r.conversation_id) {
      dl.appendChild(el("dt", null, "Hội thoại"));
      var link = dl.appendChild(el("dd")).appendChild(el("a", null, "Mở hội thoại số " + r.conversation_id));
      link.href = "#conversation=" + r.conversation_id;
    }
    fact(dl, "Xác minh", VERIFY[r.verification] || r.verification);
    fact(dl, "Hạn xác nhận", day(r.ack_due));
    fact(dl, "Hạn trả lời", answerDue(r));
    if (r.answer) { fact(dl, "Nội dung đã trả lời", r.answer); }
    if (r.refusal_basis) { fact(dl, "Căn cứ từ chối", r.refusal_basis); }
    if (r.restricted) { fact(dl, "Hạn chế xử lý", "Đang hạn chế: bot không xử lý, không gửi tin thông báo"); }
    root.appendChild(el("h4", null, "Lịch sử"));
    root.appendChild(history(r));
    if ((r.kind === "view" || r.kind === "copy") && r.status === "answered") { root.appendChild(exportLinks(r)); }
    actions(root, r);
    root.appendChild(el("h4", null, "Nhật ký truy cập dữ liệu của công dân"));
    var box = root.appendChild(el("div", "dr-access-box"));
    box.appendChild(button("Xem nhật ký truy cập", "dr-access-load", function () { accessLog(r, box); }));
  }

  function openRequest(id) {
    current = id;
    return HC.api("GET", "/data-requests/" + id).then(function (d) { show(d); return loadList(); }).catch(HC.fail);
  }

  function build() {
    var section = $("view-datarequests");
    if (!section || $("dr-rows")) { return; }
    var cols = section.appendChild(el("div", "cols dr-cols"));
    var left = cols.appendChild(el("div", "col-list"));
    left.appendChild(el("h2", null, "Yêu cầu về dữ liệu cá nhân"));
    left.appendChild(el("p", "hint", "Xác nhận trong 2 ngày làm việc; trả lời trong hạn theo loại yêu cầu, gia hạn một lần (Nghị định 356/2025/NĐ-CP)."));
    var filter = left.appendChild(el("select"));
    filter.id = "dr-filter";
    [["open", "Đang xử lý"], ["all", "Tất cả"]].forEach(function (o) { filter.appendChild(el("option", null, o[1])).value = o[0]; });
    filter.addEventListener("change", function () { loadList().catch(HC.fail); });
    left.appendChild(el("p", "late")).id = "dr-late";
    var table = left.appendChild(el("table", "dr-table"));
    var head = table.appendChild(el("thead")).appendChild(el("tr"));
    ["Mã", "Loại", "Kênh", "Nhận lúc", "Hạn xác nhận", "Hạn trả lời", "Trạng thái", ""].forEach(function (h) { head.appendChild(el("th", null, h)); });
    table.appendChild(el("tbody")).id = "dr-rows";
    var right = cols.appendChild(el("div", "col-main"));
    right.id = "dr-pane";
    right.appendChild(el("p", "empty-pane", "Chọn một yêu cầu để xem và xử lý."));
  }

  HC.views.datarequests = function () {
    build();
    return (current ? openRequest(current) : loadList()).catch(HC.fail);
  };

  HC.wirers.push(function () {
    if (!HC.hasRole(ROLES)) { return; }
    build();
    HC.on("resync", function () { if (HC.isShown("datarequests")) { HC.views.datarequests(); } });
  });
})();
