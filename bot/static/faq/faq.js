/* FAQ versions page: upload with progress, diff against the active version, activate/roll back.
   All text is set with textContent. */
(function () {
  "use strict";
  var csrf = "";
  var me = null;
  function $(id) { return document.getElementById(id); }
  function api(method, path, body) {
    var opts = { method: method, headers: {}, credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
    if (body instanceof FormData) opts.body = body;
    return fetch("/console/api/faq/" + path, opts).then(function (r) {
      if (r.status === 401) { location.href = "/console/login"; throw new Error("Chưa đăng nhập"); }
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || ("HTTP " + r.status)); return j; });
    });
  }
  function cell(tr, text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }
  function button(td, label, fn) { var b = document.createElement("button"); b.type = "button"; b.textContent = label; b.addEventListener("click", fn); td.appendChild(b); }

  function showDiff(v) {
    api("GET", "versions/" + v.id + "/diff").then(function (d) {
      var box = $("diff"); box.textContent = "";
      var h = document.createElement("h3");
      h.textContent = "So với phiên bản đang dùng của " + v.agency + " (phiên bản " + v.number + "): " +
        d.added.length + " câu mới, " + d.changed.length + " câu sửa, " + d.removed.length + " câu bỏ";
      box.appendChild(h);
      [["Mới", d.added], ["Sửa", d.changed], ["Bỏ", d.removed]].forEach(function (pair) {
        if (!pair[1].length) return;
        var ul = document.createElement("ul");
        pair[1].forEach(function (e) { var li = document.createElement("li"); li.textContent = pair[0] + ": [" + e.id + "] " + e.question + (e.fields ? " (" + e.fields.join(", ") + ")" : ""); ul.appendChild(li); });
        box.appendChild(ul);
      });
    }).catch(function (e) { $("status").textContent = e.message; });
  }

  function load() {
    return api("GET", "versions").then(function (j) {
      var body = $("versions"); body.textContent = "";
      j.versions.forEach(function (v) {
        var tr = document.createElement("tr");
        cell(tr, v.agency); cell(tr, String(v.number)); cell(tr, String(v.entries));
        cell(tr, v.active ? "Đang dùng" : "—", v.active ? "active" : "");
        var td = cell(tr, "");
        button(td, "Xem thay đổi", function () { showDiff(v); });
        if (!v.active) button(td, "Kích hoạt", function () {
          if (!confirm("Kích hoạt phiên bản " + v.number + " của " + v.agency + "?")) return;
          api("POST", "versions/" + v.id + "/activate").then(function () { $("status").textContent = "Đã kích hoạt phiên bản " + v.number; return load(); })
            .catch(function (e) { $("status").textContent = e.message; });
        });
        body.appendChild(tr);
      });
    });
  }

  function poll(job) {
    return api("GET", "jobs/" + job).then(function (j) {
      var bar = $("progress");
      if (j.state === "running") {
        bar.hidden = false; bar.max = j.total || 1; bar.value = j.done || 0;
        $("status").textContent = "Đang kiểm tra: " + (j.done || 0) + "/" + (j.total || "?") + " dòng";
        return new Promise(function (r) { setTimeout(r, 500); }).then(function () { return poll(job); });
      }
      bar.hidden = true;
      if (j.state === "done") {
        $("status").textContent = "Đã nhập phiên bản " + j.version.number + " của " + j.agency + (j.version.active ? " và kích hoạt" : "") +
          (j.diff ? " (" + j.diff.added + " mới, " + j.diff.changed + " sửa, " + j.diff.removed + " bỏ)" : "");
        $("report").textContent = j.report || "";
      } else {
        $("status").textContent = j.state === "rejected" ? "Tệp có lỗi, chưa nhập câu nào:" : (j.error || "Lỗi");
        $("report").textContent = j.report || "";
      }
      return load();
    });
  }

  $("upload").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var fd = new FormData();
    fd.append("agency", $("agency").value);
    fd.append("activate", $("activate").checked ? "true" : "false");
    fd.append("file", $("file").files[0]);
    $("report").textContent = ""; $("status").textContent = "Đang tải lên…";
    api("POST", "import", fd).then(function (j) { return poll(j.job); }).catch(function (e) { $("status").textContent = e.message; });
  });

  fetch("/console/api/me", { credentials: "same-origin" }).then(function (r) {
    if (r.status === 401) { location.href = "/console/login"; throw new Error("login"); }
    return r.json();
  }).then(function (j) {
    me = j.user; csrf = j.csrf;
    $("who").textContent = me.full_name || me.username;
    if (me.role === "agency" && me.agency_name) { $("agency").value = me.agency_name; $("agency").readOnly = true; }
    return load();
  }).catch(function () {});
})();
