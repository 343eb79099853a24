/* Thông báo (campaigns, issue 17): the list of announcements; filled in by the campaigns' API. */
(function () {
  "use strict";
  var HC = window.HC;
  HC.views.campaigns = function () {
    HC.fillList("campaigns-list", [], function () { return null; }, "Chưa có thông báo nào");
  };
})();
