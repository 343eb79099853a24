/* The other views: notices, call log, contact merge, audit log, own password and
   the admin's accounts, agencies and domains. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, el = HC.el, L = HC.L;

  var users = [];
  var editing = null;

  function loadNotices() {
    return HC.api("GET", "/notifications").then(function (d) {
      var unread = d.notifications.filter(function (n) { return !n.read; }).length;
      $("notice-count").textContent = unread ? "(" + unread + ")" : "";
      HC.fillList("notices-list", d.notifications, function (n) {
        var li = el("li", "notice notice-" + n.kind + (n.read ? "" : " unread"), HC.fmtTime(n.created_at) + " · " + n.text);
        if (n.ticket_id) { li.addEventListener("click", function () { HC.openTicketPage(n.ticket_id); }); }
        return li;
      });
    }).catch(HC.fail);
  }
  HC.loadNotices = loadNotices;

  function loadAudit() {
    return HC.api("GET", "/audit").then(function (d) {
      var body = HC.clear($("audit-rows"));
      d.entries.forEach(function (a) {
        var tr = el("tr");
        [HC.fmtTime(a.at), a.username || "", a.ip || "", a.action_label, a.object_label]
          .forEach(function (v) { tr.appendChild(el("td", null, v)); });
        body.appendChild(tr);
      });
    }).catch(HC.fail);
  }

  function agencyName(id) {
    var a = HC.agencies.filter(function (x) { return x.id === id; })[0];
    return a ? a.name : "";
  }

  function userRow(u) {
    var tr = el("tr", u.active ? "" : "inactive");
    tr.dataset.id = u.id;
    [u.username, u.full_name || "", L("role", u.role), u.agency_name || agencyName(u.agency_id),
      u.active ? (u.locked_until ? "tạm khóa do đăng nhập sai" : "đang hoạt động") : "đã khóa"]
      .forEach(function (v) { tr.appendChild(el("td", null, v)); });
    var td = el("td");
    var edit = el("button", "small secondary", "Sửa");
    edit.type = "button";
    edit.addEventListener("click", function () { openUser(u); });
    td.appendChild(edit);
    var lock = el("button", "small secondary", u.active ? "Khóa" : "Mở khóa");
    lock.type = "button";
    lock.addEventListener("click", function () {
      HC.api("POST", "/users/" + u.id + "/active", { active: !u.active }).then(function () {
        HC.flash(u.active ? "Đã khóa tài khoản " + u.username : "Đã mở khóa tài khoản " + u.username); loadAdmin();
      }).catch(HC.fail);
    });
    td.appendChild(lock);
    tr.appendChild(td);
    return tr;
  }

  function openUser(u) {
    editing = u;
    $("user-edit-form").hidden = false;
    $("user-edit-title").textContent = "Sửa tài khoản " + u.username;
    $("user-edit-fullname").value = u.full_name || "";
    $("user-edit-role").value = u.role;
    $("user-edit-agency").value = u.agency_id ? String(u.agency_id) : "";
    $("user-edit-active").checked = !!u.active;
    $("user-edit-password").value = "";
    $("user-edit-fullname").focus();
  }

  function saveUser() {
    if (!editing) { return; }
    var u = editing;
    HC.api("POST", "/users/" + u.id, {
      full_name: $("user-edit-fullname").value.trim(), role: $("user-edit-role").value,
      agency_id: $("user-edit-agency").value ? Number($("user-edit-agency").value) : null,
      active: $("user-edit-active").checked
    }).then(function () {
      HC.flash("Đã lưu tài khoản " + u.username); $("user-edit-form").hidden = true; editing = null; loadAdmin();
    }).catch(HC.fail);
  }

  function resetPassword() {
    if (!editing) { return; }
    var u = editing;
    HC.api("POST", "/users/" + u.id + "/password", { password: $("user-edit-password").value }).then(function () {
      $("user-edit-password").value = "";
      HC.flash("Đã đặt lại mật khẩu cho " + u.username + "; mọi phiên đăng nhập của tài khoản này đã kết thúc");
    }).catch(HC.fail);
  }

  function loadAdmin() {
    var roles = $("user-edit-role");
    if (!roles.options.length) {
      Object.keys(HC.LABELS.role || {}).forEach(function (r) { var o = el("option", null, L("role", r)); o.value = r; roles.appendChild(o); });
    }
    HC.fillList("agencies-list", HC.agencies, function (a) { return el("li", null, a.code + " · " + a.name); });
    HC.fillList("domains-list", HC.domains, function (x) {
      var li = el("li", null, x.name);
      var agency = x.agency_name || agencyName(x.agency_id);
      li.appendChild(el("span", "agency", agency ? "Đơn vị chủ trì: " + agency : "Chưa có đơn vị chủ trì"));
      return li;
    });
    return HC.api("GET", "/users").then(function (d) {
      users = d.users;
      HC.fillList("users-list", users, userRow);
    }).catch(HC.fail);
  }

  HC.views.notices = function () {
    loadNotices();
    HC.api("POST", "/notifications/read").then(function () { $("notice-count").textContent = ""; }).catch(HC.fail);
  };
  HC.views.audit = loadAudit;
  HC.views.admin = loadAdmin;
  HC.on("notification", loadNotices);
  HC.on("resync", loadNotices);

  HC.wirers.push(function () {
    HC.onSubmit("call-form", function () {
      HC.api("POST", "/calls", new FormData($("call-form")), true).then(function (r) {
        HC.flash("Đã lưu phiếu cuộc gọi " + r.ticket.code); $("call-form").reset();
      }).catch(HC.fail);
    });
    $("contact-q").addEventListener("input", function () {
      var q = this.value.trim();
      if (q.length < 2) { return; }
      HC.api("GET", "/contacts?q=" + encodeURIComponent(q)).then(function (d) {
        HC.fillList("contact-results", d.contacts, function (c) {
          return el("li", null, "#" + c.id + " · " + [c.full_name || c.display_name, c.phone, c.email].filter(Boolean).join(" · "));
        });
      }).catch(HC.fail);
    });
    HC.onSubmit("merge-form", function () {
      HC.api("POST", "/contacts/merge", { source_id: $("merge-source").value, target_id: $("merge-target").value })
        .then(function () { HC.flash("Đã gộp liên hệ"); }).catch(HC.fail);
    });
    HC.onSubmit("user-form", function () {
      HC.api("POST", "/users", {
        username: $("user-username").value, full_name: $("user-fullname").value, role: $("user-role").value,
        agency_id: $("user-agency").value || null, password: $("user-password").value
      }).then(function () { HC.flash("Đã tạo tài khoản"); $("user-form").reset(); loadAdmin(); }).catch(HC.fail);
    });
    HC.onSubmit("user-edit-form", saveUser);
    $("user-edit-cancel").addEventListener("click", function () { $("user-edit-form").hidden = true; editing = null; });
    $("user-edit-reset").addEventListener("click", resetPassword);
    HC.onSubmit("password-form", function () {
      HC.api("POST", "/me/password", { current: $("pw-current").value, password: $("pw-new").value })
        .then(function (r) { HC.csrf = r.csrf; $("password-form").reset(); HC.flash("Đã đổi mật khẩu"); }).catch(HC.fail);
    });
    HC.onSubmit("domain-form", function () {
      HC.api("POST", "/domains", { code: $("domain-code").value, name: $("domain-name").value, agency_id: $("domain-agency").value || null })
        .then(function () { HC.flash("Đã thêm lĩnh vực"); return HC.loadReference(); }).then(loadAdmin).catch(HC.fail);
    });
    HC.onSubmit("agency-form", function () {
      HC.api("POST", "/agencies", { code: $("agency-code").value, name: $("agency-name").value })
        .then(function () { HC.flash("Đã thêm đơn vị"); return HC.loadReference(); }).then(loadAdmin).catch(HC.fail);
    });
  });
})();
