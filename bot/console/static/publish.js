/* The ticket page's "Công khai câu trả lời (Điều 12)" box: the citizen's wish not to be
   published, a preview of the question and answer with personal data masked, the officer's
   review (editable), publish, the published state with its public link, withdraw.
   tickets.js emits "ticket-shown" each time it renders a ticket. Texts by textContent only. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$;
  var P = HC.publish = { id: null, state: null };

  function base() { return "/tickets/" + P.id; }

  function renderState(st) {
    P.state = st;
    $("publish-optout").checked = !!st.no_publish;
    var line = HC.clear($("publish-state"));
    var pub = st.published;
    if (pub && pub.public) {
      line.appendChild(document.createTextNode("Đã công khai lúc " + HC.fmtTime(pub.published_at) + ": "));
      var a = HC.el("a", null, pub.url);
      a.href = pub.url; a.target = "_blank"; a.rel = "noopener"; a.id = "publish-link";
      line.appendChild(a);
    } else if (pub) {
      line.textContent = "Đã gỡ khỏi cổng thông tin lúc " + HC.fmtTime(pub.withdrawn_at) + ".";
    } else {
      line.textContent = st.can_publish ? "Chưa công khai." : (st.reason || "");
    }
    $("publish-preview").hidden = !st.can_publish;
    $("publish-preview").textContent = pub && pub.public ? "Sửa bản công khai" : "Xem trước bản che thông tin cá nhân";
    $("publish-withdraw").hidden = !(pub && pub.public && HC.hasRole("agency supervisor admin"));
    if (!st.can_publish) { $("publish-form").hidden = true; }
  }

  function load() {
    var id = P.id;
    return HC.api("GET", base() + "/publication").then(function (st) {
      if (id === P.id) { renderState(st); }
    }).catch(HC.fail);
  }

  // the ticket again (its history shows the publication), then this box ("ticket-shown")
  function refresh() { return HC.openTicketPage(P.id); }

  function preview() {
    var id = P.id;
    HC.api("GET", base() + "/publication/preview").then(function (p) {
      if (id !== P.id) { return; }
      $("publish-question").value = p.question;
      $("publish-answer").value = p.answer;
      $("publish-send").textContent = P.state && P.state.published && P.state.published.public ? "Cập nhật bản công khai" : "Công khai";
      $("publish-form").hidden = false;
      $("publish-question").focus();
    }).catch(HC.fail);
  }

  function publish() {
    HC.api("POST", base() + "/publish", {
      question: $("publish-question").value, answer: $("publish-answer").value
    }).then(function () {
      $("publish-form").hidden = true;
      HC.flash("Đã công khai câu trả lời trên cổng thông tin");
      return refresh();
    }).catch(HC.fail);
  }

  function withdraw() {
    HC.api("POST", base() + "/withdraw").then(function () {
      HC.flash("Đã gỡ câu trả lời khỏi cổng thông tin");
      return refresh();
    }).catch(HC.fail);
  }

  function setWish() {
    var wish = $("publish-optout").checked;
    HC.api("POST", base() + "/no_publish", { no_publish: wish }).then(function () {
      HC.flash(wish ? "Đã ghi nhận: công dân không muốn công khai" : "Đã bỏ ghi nhận không công khai");
      return refresh();
    }).catch(function (err) { $("publish-optout").checked = !wish; HC.fail(err); });
  }

  HC.on("ticket-shown", function (e) {
    var same = P.id === e.ticket.id;
    P.id = e.ticket.id;
    $("publish-box").hidden = false;
    if (!same) {
      $("publish-form").hidden = true;
      $("publish-question").value = ""; $("publish-answer").value = "";
    }
    load();
  });

  HC.wirers.push(function () {
    $("publish-preview").addEventListener("click", preview);
    $("publish-withdraw").addEventListener("click", withdraw);
    $("publish-optout").addEventListener("change", setWish);
    HC.onSubmit("publish-form", publish);
  });
})();
