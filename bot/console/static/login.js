/* Login: fetch the pre-login session's CSRF token, post the credentials, go to the console. */
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var errorEl = document.getElementById("login-error");
  var csrf = "";
  var submit = document.getElementById("login-submit");
  // a ticket or conversation link (from a notice mail) survives the login
  function link() {
    var h = window.location.hash;
    return /^#(ticket|conversation)=\d{1,18}$/.test(h) ? h : "";
  }
  submit.disabled = true;  // until the pre-login session's CSRF token is here
  fetch("/console/api/csrf", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (b) { csrf = b.csrf; submit.disabled = false; })
    .catch(function () { errorEl.textContent = "Không kết nối được máy chủ"; });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errorEl.textContent = "";
    fetch("/console/api/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({
        username: document.getElementById("username").value,
        password: document.getElementById("password").value
      })
    }).then(function (r) {
      return r.json().then(function (b) {
        if (r.ok) { window.location.assign("/console/" + link()); return; }
        errorEl.textContent = b.error || "Đăng nhập không thành công";
      });
    }).catch(function () { errorEl.textContent = "Không kết nối được máy chủ"; });
  });
})();
