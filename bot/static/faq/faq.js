/* FAQ versions page: upload (or check first) with progress, diff against the active version,
   questions shared with other agencies' active versions, activate / roll back / deactivate.
   An agency officer sees the versions answering in the agency's name; those uploaded by
   another agency are read-only. All text is set with textContent. */
(function () {
  "use strict";
  var csrf = "";
  var me = null;
  function $(id) { return document.getElementById(id); }
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); return e; }
  function api(method, path, body) {
    var opts = { method: method, headers: {}, credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
    if (body instanceof FormData) opts.body = body;
    return fetch("/console/api/" + path, opts).then(function (r) {
      if (r.status === 401) { location.href = "/console/login"; throw new Error("Chưa đăng nhập"); }
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || ("HTTP " + r.status)); return j; });
    });
  }
  function say(text) { $("status").textContent = text; }
  function fail(e) { say(e.message); }
  function when(iso) { return iso ? new Date(iso).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" }) : ""; }
  function cell(tr, text, cls) { var td = el("td", text); if (cls) td.className = cls; tr.appendChild(td); return td; }
  function button(td, label, fn) { var b = el("button", label); b.type = "button"; b.addEventListener("click", fn); td.appendChild(b); }

  // questions shared with other agencies' active versions: a warning, the upload goes on
  function showOverlap(box, o) {
    box.textContent = "";
    box.hidden = !(o && o.questions);
    if (box.hidden) return;
    box.appendChild(el("strong", "Cảnh báo: " + o.questions + " câu hỏi trùng hoặc gần trùng với bộ câu hỏi đang dùng của đơn vị khác."));
    box.appendChild(el("p", "Bộ câu hỏi vẫn được nhập. Với câu hỏi trùng, trợ lý ảo chỉ trả lời một lần: ưu tiên bộ của chính đơn vị được ghi trong câu hỏi, rồi bộ kích hoạt gần nhất."));
    var counts = el("ul");
    o.by_version.forEach(function (c) {
      counts.appendChild(el("li", c.agency + " (phiên bản " + c.version + "): " + c.same + " câu trùng, " + c.near + " câu gần trùng"));
    });
    box.appendChild(counts);
    var items = el("ul");
    o.items.forEach(function (it) { items.appendChild(el("li", it.text)); });
    box.appendChild(items);
    var more = o.same + o.near - o.items.length;
    if (more > 0) box.appendChild(el("p", "… và " + more + " câu khác."));
  }

  function showDiff(v) {
    api("GET", "faq/versions/" + v.id + "/diff").then(function (d) {
      var box = $("diff"); box.textContent = "";
      box.appendChild(el("h3", "So với phiên bản đang dùng của " + v.agency + " (phiên bản " + v.number + "): " +
        d.added.length + " câu mới, " + d.changed.length + " câu sửa, " + d.removed.length + " câu bỏ"));
      [["Mới", d.added], ["Sửa", d.changed], ["Bỏ", d.removed]].forEach(function (pair) {
        if (!pair[1].length) return;
        var ul = el("ul");
        pair[1].forEach(function (e) { ul.appendChild(el("li", pair[0] + ": [" + e.id + "] " + e.question + (e.fields ? " (" + e.fields.join(", ") + ")" : ""))); });
        box.appendChild(ul);
      });
    }).catch(fail);
  }

  function showShared(v) {
    api("GET", "faq/versions/" + v.id + "/overlap").then(function (j) {
      var box = $("diff"); box.textContent = "";
      box.appendChild(el("h3", "Câu hỏi trùng với đơn vị khác — " + v.agency + " (phiên bản " + v.number + ")"));
      if (!j.overlap.questions) { box.appendChild(el("p", j.overlap.text)); return; }
      var inner = el("div"); inner.className = "overlap"; box.appendChild(inner);
      showOverlap(inner, j.overlap);
    }).catch(fail);
  }

  function act(v, action) {
    var ask = action === "deactivate"
      ? "Ngừng dùng phiên bản " + v.number + " của " + v.agency + "? Trợ lý ảo sẽ thôi trả lời từ phiên bản này ngay."
      : "Kích hoạt phiên bản " + v.number + " của " + v.agency + "?";
    if (!confirm(ask)) return;
    api("POST", "faq/versions/" + v.id + "/" + action).then(function (j) {
      say((action === "deactivate" ? "Đã ngừng dùng" : "Đã kích hoạt") + " phiên bản " + v.number + " của " + v.agency);
      showOverlap($("overlap"), j.overlap);
      return load();
    }).catch(fail);
  }

  function row(v) {
    var tr = el("tr");
    cell(tr, v.agency); cell(tr, v.number); cell(tr, v.uploaded_by || ""); cell(tr, when(v.created_at));
    cell(tr, v.active ? "Đang dùng" : "Không dùng", v.active ? "active" : "");
    cell(tr, v.entries); cell(tr, v.entries_in_name === null ? "" : v.entries_in_name);
    var td = cell(tr, "");
    if (!v.editable) { td.appendChild(el("span", "Chỉ xem: do " + v.agency + " tải lên")).className = "readonly"; return tr; }
    button(td, "Xem thay đổi", function () { showDiff(v); });
    button(td, "Câu hỏi trùng", function () { showShared(v); });
    if (v.active) button(td, "Ngừng dùng", function () { act(v, "deactivate"); });
    else button(td, "Kích hoạt", function () { act(v, "activate"); });
    return tr;
  }

  // learning from use: proposed phrasings per entry, accept (new version) or reject
  function decide(item, p, action) {
    var body = JSON.stringify({ agency: item.agency, entry_id: item.entry_id, text: p.text });
    var opts = { method: "POST", headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" }, credentials: "same-origin", body: body };
    fetch("/console/api/faq/proposals/" + action, opts).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || ("HTTP " + r.status)); return j; });
    }).then(function (j) {
      say(action === "accept"
        ? "Đã thêm câu hỏi tương tự vào [" + item.entry_id + "]: phiên bản " + j.version.number + " của " + item.agency + (j.version.active ? " đang được dùng" : "")
        : "Đã từ chối đề xuất cho [" + item.entry_id + "]");
      return load();
    }).catch(fail);
  }

  function proposalItem(item, p) {
    var li = el("li", "“" + p.text + "” — " + p.count + " lần (chọn gợi ý: " + (p.outcomes.tapped || 0) +
      ", cán bộ dùng: " + (p.outcomes.operator_used || 0) + ") ");
    var span = el("span"); li.appendChild(span);
    button(span, "Chấp nhận", function () { decide(item, p, "accept"); });
    button(span, "Từ chối", function () { decide(item, p, "reject"); });
    return li;
  }

  function loadProposals() {
    return api("GET", "faq/proposals").then(function (j) {
      var box = $("proposals"); box.textContent = "";
      if (!j.entries.length) { box.appendChild(el("p", "Chưa có đề xuất nào.")); return; }
      j.entries.forEach(function (item) {
        box.appendChild(el("h3", item.agency + " — [" + item.entry_id + "] " + item.question));
        if (item.proposals.length) {
          var ul = el("ul"); box.appendChild(ul);
          item.proposals.forEach(function (p) { ul.appendChild(proposalItem(item, p)); });
        }
        if (item.warnings.length) {
          var warn = el("div"); warn.className = "overlap"; box.appendChild(warn);
          warn.appendChild(el("strong", "Cảnh báo: cán bộ đánh dấu trợ lý ảo trả lời sai bằng câu hỏi này cho:"));
          var wl = el("ul"); warn.appendChild(wl);
          item.warnings.forEach(function (w) { wl.appendChild(el("li", "“" + w.text + "” — " + w.count + " lần")); });
        }
      });
    });
  }

  function load() {
    loadProposals().catch(fail);
    return api("GET", "faq/versions").then(function (j) {
      var body = $("versions"); body.textContent = "";
      j.versions.forEach(function (v) { body.appendChild(row(v)); });
      if (!j.versions.length) { var tr = el("tr"); cell(tr, "Chưa có phiên bản nào").colSpan = 8; body.appendChild(tr); }
    });
  }

  function poll(job) {
    return api("GET", "faq/jobs/" + job).then(function (j) {
      var bar = $("progress");
      if (j.state === "running") {
        bar.hidden = false; bar.max = j.total || 1; bar.value = j.done || 0;
        say("Đang kiểm tra: " + (j.done || 0) + "/" + (j.total || "?") + " dòng");
        return new Promise(function (r) { setTimeout(r, 500); }).then(function () { return poll(job); });
      }
      bar.hidden = true;
      var diff = j.diff ? " (so với phiên bản đang dùng: " + j.diff.added + " mới, " + j.diff.changed + " sửa, " + j.diff.removed + " bỏ)" : "";
      if (j.state === "done") say("Đã nhập phiên bản " + j.version.number + " của " + j.agency + (j.version.active ? " và kích hoạt" : "") + diff);
      else if (j.state === "checked") say("Kiểm tra xong, chưa lưu gì: " + j.entries + " câu hỏi hợp lệ" + diff);
      else say(j.state === "rejected" ? "Tệp có lỗi, chưa nhập câu nào:" : (j.error || "Lỗi"));
      $("report").textContent = j.report || "";
      showOverlap($("overlap"), j.overlap);
      return load();
    });
  }

  function send(preview) {
    var fd = new FormData();
    fd.append("agency", $("agency").value);
    fd.append("activate", $("activate").checked ? "true" : "false");
    fd.append("preview", preview ? "true" : "false");
    if (!$("file").files[0]) { say("Chưa chọn tệp bảng tính"); return; }
    fd.append("file", $("file").files[0]);
    $("report").textContent = ""; $("overlap").hidden = true; say("Đang tải lên…");
    api("POST", "faq/import", fd).then(function (j) { return poll(j.job); }).catch(fail);
  }

  $("upload").addEventListener("submit", function (ev) { ev.preventDefault(); send(false); });
  $("preview").addEventListener("click", function () { send(true); });

  fetch("/console/api/me", { credentials: "same-origin" }).then(function (r) {
    if (r.status === 401) { location.href = "/console/login"; throw new Error("login"); }
    return r.json();
  }).then(function (j) {
    me = j.user; csrf = j.csrf;
    $("who").textContent = me.full_name || me.username;
    if (me.role === "agency" && me.agency_name) {
      $("agency").value = me.agency_name; $("agency").readOnly = true;
      $("versions-note").textContent = "Các phiên bản trả lời nhân danh " + me.agency_name +
        ": của chính đơn vị, và của đơn vị khác có câu hỏi ghi tên đơn vị (chỉ xem; muốn ngừng dùng, liên hệ quản trị).";
    } else {
      api("GET", "agencies").then(function (a) {
        a.agencies.forEach(function (x) { var o = el("option"); o.value = x.name; $("agency-names").appendChild(o); });
      }).catch(fail);
    }
    return load();
  }).catch(function () {});
})();
