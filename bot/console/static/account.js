/* The account page's "Thông báo qua e-mail": the address the agency notices go to and
   whether they are wanted (GET/POST /console/api/me/notices). */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$;

  function loadNotices() {
    return HC.api("GET", "/me/notices").then(function (d) {
      $("notice-email").value = d.email || "";
      $("notice-email-on").checked = !!d.email_notices;
    }).catch(HC.fail);
  }

  var shown = HC.views.account;
  HC.views.account = function () {
    if (shown) { shown(); }
    return loadNotices();
  };

  HC.wirers.push(function () {
    HC.onSubmit("notice-form", function () {
      HC.api("POST", "/me/notices", { email: $("notice-email").value, email_notices: $("notice-email-on").checked })
        .then(function (d) {
          $("notice-email").value = d.email || "";
          $("notice-email-on").checked = !!d.email_notices;
          HC.flash("Đã lưu cài đặt thông báo qua e-mail");
        }).catch(HC.fail);
    });
  });
})();
