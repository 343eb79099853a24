/* Thông báo Zalo (campaigns, issue 17): the list of announcements with their status; the
   composer (text with a live character counter against Zalo's limit, image, link, audience
   with a preview count, schedule); a second person approves or rejects (four eyes); each
   campaign's report and recipients. The API is /console/api/campaigns (docs/campaigns.md).
   Every server text is written with textContent. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, el = HC.el;
  var opts = null;          // GET /campaigns/options
  var current = null;       // the campaign shown (its id), or null
  var editing = null;       // the draft being edited (its id), or null for a new one
  var previewTimer = null;
  var refreshTimer = null;
  var AUDIENCES = { all: "Tất cả người quan tâm", tag: "Theo nhãn liên hệ", district: "Theo huyện/thị xã/thành phố (địa chỉ)", interaction: "Tương tác gần đây" };
  var RECIPIENT = { pending: "chờ gửi", sent: "đã gửi", skipped: "bỏ qua", failed: "lỗi" };
  var OPEN = ["submitted", "approved", "sending"];

  function statusLabel(s) { return (opts && opts.status_labels[s]) || s; }
  function reasonLabel(r) { return (opts && opts.reason_labels[r]) || r || ""; }
  function limit(key) { return (opts && opts.limits[key]) || 0; }

  function loadOptions() {
    if (opts) { return Promise.resolve(opts); }
    return HC.api("GET", "/campaigns/options").then(function (o) { opts = o; return o; });
  }

  function loadList() {
    var status = $("campaign-filter") ? $("campaign-filter").value : "";
    return HC.api("GET", "/campaigns" + (status ? "?status=" + encodeURIComponent(status) : "")).then(function (d) {
      HC.fillList("campaigns-list", d.campaigns, function (c) {
        var li = el("li", "campaign campaign-" + c.status + (c.id === current ? " on" : ""));
        li.dataset.id = c.id;
        li.appendChild(el("strong", "grow", c.title));
        li.appendChild(el("span", "badge status-" + c.status, c.status_label));
        var when = c.scheduled_at ? "gửi lúc " + HC.fmtTime(c.scheduled_at) : "gửi khi được duyệt";
        li.appendChild(el("span", "meta snippet", HC.L("channel", c.channel) + " · " + audienceText(c.audience) + " · " + when));
        li.addEventListener("click", function () { openCampaign(c.id); });
        return li;
      }, "Chưa có thông báo nào");
    });
  }

  function audienceText(a) {
    if (!a) { return ""; }
    if (a.kind === "tag") { return "nhãn: " + (a.tags || []).join(", "); }
    if (a.kind === "district") { return "huyện: " + (a.districts || []).join(", "); }
    if (a.kind === "interaction") { return "tương tác trong " + a.days + " ngày"; }
    if (a.kind === "target") { return "đối tượng của bài viết (Zalo chọn)"; }
    return "tất cả người quan tâm";
  }

  function pane() { clearInterval(refreshTimer); return HC.clear($("campaign-pane")); }

  function field(form, id, label, input, hint) {
    var l = el("label", null, label); l.htmlFor = id; input.id = id;
    form.appendChild(l); form.appendChild(input);
    if (hint) { var h = el("p", "hint", hint); h.id = id + "-hint"; form.appendChild(h); }
    return input;
  }

  function counted(form, id, label, tag, max) {
    var input = field(form, id, label, el(tag));
    var counter = el("p", "hint counter"); counter.id = id + "-count";
    form.appendChild(counter);
    function update() {
      var n = input.value.trim().length;
      counter.textContent = n + "/" + max + " ký tự" + (n > max ? " — vượt giới hạn của Zalo " + (n - max) + " ký tự" : "");
      counter.classList.toggle("over", n > max);
      checkLimits();
    }
    input.addEventListener("input", update);
    input.update = update;
    return input;
  }

  function checkLimits() {  // only the counters of the kind being composed
    var over = Array.prototype.some.call(document.querySelectorAll("#campaign-form .counter.over"),
      function (c) { return !c.closest("fieldset[hidden]"); });
    ["cmp-save", "cmp-submit"].forEach(function (id) { if ($(id)) { $(id).disabled = over; } });
  }

  function compose(c) {
    editing = c ? c.id : null;
    current = null;
    var box = pane();
    box.appendChild(el("h2", null, c ? "Sửa thông báo" : "Soạn thông báo mới"));
    if (!opts.channels.length) {
      box.appendChild(el("p", "error", "Chưa có kênh nào gửi được thông báo (cần cấu hình Zalo OA)."));
      return;
    }
    var form = el("form", "stack narrow"); form.id = "campaign-form";
    var channel = field(form, "cmp-channel", "Kênh", el("select"));
    opts.channels.forEach(function (ch) { var o = el("option", null, HC.L("channel", ch)); o.value = ch; channel.appendChild(o); });
    var type = field(form, "cmp-kind", "Loại", el("select"));
    Object.keys(opts.kinds).forEach(function (k) { var o = el("option", null, opts.kinds[k]); o.value = k; type.appendChild(o); });
    var title = counted(form, "cmp-title", "Tiêu đề", "input", limit("title"));
    var promo = el("fieldset", "stack plain-set"); promo.id = "cmp-promotion"; form.appendChild(promo);
    var text = counted(promo, "cmp-text", "Nội dung", "textarea", limit("text"));
    text.rows = 6;
    var image = field(promo, "cmp-image", "Ảnh (địa chỉ https, không bắt buộc)", el("input"));
    image.type = "url"; image.placeholder = "https://…";
    var link = field(promo, "cmp-link", "Liên kết (không bắt buộc)", el("input"));
    link.type = "url"; link.placeholder = "https://…";
    var linkTitle = counted(promo, "cmp-link-title", "Tên nút liên kết", "input", limit("link_title"));
    var kind = field(promo, "cmp-audience", "Người nhận", el("select"));
    Object.keys(AUDIENCES).forEach(function (k) { var o = el("option", null, AUDIENCES[k]); o.value = k; kind.appendChild(o); });
    var tags = field(promo, "cmp-tags", "Nhãn (cách nhau bằng dấu phẩy)", el("input"));
    var districts = field(promo, "cmp-districts", "Huyện/thị xã/thành phố (giữ Ctrl để chọn nhiều)", el("select"));
    districts.multiple = true; districts.size = 6;
    opts.districts.forEach(function (d) { var o = el("option", null, d); o.value = d; districts.appendChild(o); });
    var days = field(promo, "cmp-days", "Có nhắn tin với tổng đài trong (ngày)", el("input"));
    days.type = "number"; days.min = 1; days.max = 365; days.value = 30;
    var preview = el("p", "preview-count"); preview.id = "cmp-preview";
    promo.appendChild(preview);
    var art = articleFields(form);
    var when = field(form, "cmp-when", "Lịch gửi (để trống: gửi ngay khi được duyệt)", el("input"),
      "Chỉ gửi trong khung " + opts.hours.start + "–" + opts.hours.end + " (giờ Việt Nam); ngoài khung giờ, thông báo chờ đến sáng hôm sau.");
    when.type = "datetime-local";
    var bar = el("p", "actions");
    var save = el("button", "secondary", "Lưu nháp"); save.type = "button"; save.id = "cmp-save";
    var submit = el("button", null, "Lưu và gửi duyệt"); submit.type = "submit"; submit.id = "cmp-submit";
    bar.appendChild(save); bar.appendChild(submit);
    form.appendChild(bar);
    box.appendChild(form);

    if (c) {
      channel.value = c.channel; title.value = c.title; text.value = c.text || "";
      type.value = c.kind; art.fill(c.article || {}, c.target || {});
      image.value = c.image_url || ""; link.value = c.link_url || ""; linkTitle.value = c.link_title || "";
      var a = c.audience || { kind: "all" };
      kind.value = a.kind in AUDIENCES ? a.kind : "all";
      tags.value = (a.tags || []).join(", ");
      Array.prototype.forEach.call(districts.options, function (o) { o.selected = (a.districts || []).indexOf(o.value) >= 0; });
      if (a.days) { days.value = a.days; }
      if (c.scheduled_at) { when.value = localInput(c.scheduled_at); }
    }
    [title, text, linkTitle].forEach(function (i) { i.update(); });
    function showKind() { promo.hidden = type.value !== "promotion"; art.box.hidden = !promo.hidden; checkLimits(); }
    type.addEventListener("change", showKind);
    showKind();
    function showAudience() {
      [["tag", tags], ["district", districts], ["interaction", days]].forEach(function (p) {
        var hide = kind.value !== p[0];
        p[1].hidden = hide; form.querySelector("label[for='" + p[1].id + "']").hidden = hide;
      });
      previewSoon();
    }
    [kind, tags, districts, days, channel].forEach(function (i) { i.addEventListener("change", showAudience); });
    tags.addEventListener("input", previewSoon);
    showAudience();

    function body() {
      var a = { kind: kind.value };
      if (kind.value === "tag") { a.tags = tags.value.split(",").map(function (t) { return t.trim(); }).filter(Boolean); }
      if (kind.value === "district") { a.districts = Array.prototype.filter.call(districts.options, function (o) { return o.selected; }).map(function (o) { return o.value; }); }
      if (kind.value === "interaction") { a.days = parseInt(days.value, 10); }
      if (type.value === "article") {
        return { channel: channel.value, kind: "article", title: title.value, article: art.article(), target: art.target(), scheduled_at: when.value || null };
      }
      return {
        channel: channel.value, kind: "promotion", title: title.value, text: text.value,
        image_url: image.value.trim() || null, link_url: link.value.trim() || null,
        link_title: linkTitle.value.trim() || null, audience: a, scheduled_at: when.value || null
      };
    }
    function store(thenSubmit) {
      var path = editing ? "/campaigns/" + editing : "/campaigns";
      return HC.api("POST", path, body()).then(function (r) {
        editing = r.campaign.id;
        if (!thenSubmit) { return r; }
        return HC.api("POST", "/campaigns/" + r.campaign.id + "/submit");
      }).then(function (r) {
        HC.flash(thenSubmit ? "Đã gửi duyệt thông báo «" + r.campaign.title + "»; cần một người khác duyệt." : "Đã lưu nháp «" + r.campaign.title + "».");
        return openCampaign(r.campaign.id, true);
      }).catch(HC.fail);
    }
    save.addEventListener("click", function () { store(false); });
    HC.onSubmit("campaign-form", function () { store(true); });

    function previewSoon() {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(function () {
        var b = body();
        if ((b.audience.kind === "tag" && !b.audience.tags.length) || (b.audience.kind === "district" && !b.audience.districts.length)) {
          preview.textContent = "Chọn người nhận để xem số lượng dự kiến."; return;
        }
        HC.api("POST", "/campaigns/preview", { channel: b.channel, audience: b.audience }).then(function (p) {
          var skipped = Object.keys(p.skipped).map(function (k) { return p.skipped[k] + " " + reasonLabel(k); });
          preview.textContent = "Dự kiến gửi tới " + p.eligible + " người (trong " + p.total + " người khớp" +
            (skipped.length ? "; bỏ qua: " + skipped.join(", ") : "") + ").";
          preview.classList.remove("bad");
        }).catch(function (err) { preview.textContent = err.message; preview.classList.add("bad"); });
      }, 300);
    }
  }

  // a news article (Zalo reviews it, then broadcasts it to the target it names)
  function articleFields(form) {
    var box = el("fieldset", "stack plain-set"); box.id = "cmp-article"; form.appendChild(box);
    var f = {
      title: counted(box, "cmp-art-title", "Tiêu đề bài viết", "input", limit("article.title")),
      description: counted(box, "cmp-art-description", "Mô tả ngắn", "textarea", limit("article.description")),
      body: counted(box, "cmp-art-body", "Nội dung bài viết", "textarea", limit("article.body")),
      author: counted(box, "cmp-art-author", "Tác giả (không bắt buộc)", "input", limit("article.author")),
      cover_url: field(box, "cmp-art-cover", "Ảnh bìa (địa chỉ https, không bắt buộc)", el("input"))
    };
    f.body.rows = 8; f.cover_url.type = "url";
    var t = {};
    box.appendChild(el("p", "hint", "Đối tượng nhận (mã của Zalo; để trống: mọi người quan tâm). Zalo duyệt bài khoảng 30 phút trước khi gửi."));
    opts.target_keys.forEach(function (k) {
      var names = { city: "Tỉnh/thành (mã)", age: "Độ tuổi (mã)", gender: "Giới tính (mã)", platform: "Nền tảng (mã)" };
      t[k] = field(box, "cmp-target-" + k, names[k] || k, el("input"));
    });
    return {
      box: box,
      fill: function (a, target) {
        Object.keys(f).forEach(function (k) { f[k].value = a[k] || ""; if (f[k].update) { f[k].update(); } });
        Object.keys(t).forEach(function (k) { t[k].value = target[k] || ""; });
      },
      article: function () {
        var out = {};
        Object.keys(f).forEach(function (k) { if (f[k].value.trim()) { out[k] = f[k].value; } });
        return out;
      },
      target: function () {
        var out = {};
        Object.keys(t).forEach(function (k) { if (t[k].value.trim()) { out[k] = t[k].value.trim(); } });
        return out;
      }
    };
  }

  function localInput(iso) {  // an instant as the value of a datetime-local input, Việt Nam time
    var d = new Date(new Date(iso).getTime() + 7 * 3600 * 1000);
    return d.toISOString().slice(0, 16);
  }

  function openCampaign(id, reloadList) {
    current = id; editing = null;
    var shown = Promise.all([HC.api("GET", "/campaigns/" + id), HC.api("GET", "/campaigns/" + id + "/report")]).then(function (r) {
      if (current !== id) { return; }
      showCampaign(r[0].campaign, r[1]);
      return loadRecipients(id, "", 0);
    }).catch(HC.fail);
    return reloadList === false ? shown : Promise.all([shown, loadList()]);
  }

  function showCampaign(c, rep) {
    var box = pane();
    var head = el("h2", null, c.title); head.id = "campaign-title";
    box.appendChild(head);
    var st = el("p"); var badge = el("span", "badge status-" + c.status, c.status_label); badge.id = "campaign-status";
    st.appendChild(badge); box.appendChild(st);
    var dl = el("dl", "fields");
    function row(k, v) { if (v === null || v === undefined || v === "") { return; } dl.appendChild(el("dt", null, k)); dl.appendChild(el("dd", null, v)); }
    row("Kênh", HC.L("channel", c.channel) + " · " + ((opts && opts.kinds[c.kind]) || c.kind));
    if (c.article) {
      row("Bài viết", c.article.title + (c.article.description ? " — " + c.article.description : ""));
      row("Đối tượng", Object.keys(c.target || {}).map(function (k) { return k + ": " + c.target[k]; }).join(", ") || "mọi người quan tâm");
    }
    row("Nội dung", c.text);
    row("Ảnh", c.image_url);
    row("Liên kết", c.link_url ? (c.link_title ? c.link_title + " — " : "") + c.link_url : "");
    row("Người nhận", audienceText(c.audience));
    row("Lịch gửi", c.scheduled_at ? HC.fmtTime(c.scheduled_at) : "ngay khi được duyệt (trong khung giờ cho phép)");
    row("Người soạn", who(c.created_by_id));
    row("Người gửi duyệt", c.submitted_by_id ? who(c.submitted_by_id) : "");
    row(c.status === "rejected" ? "Người từ chối" : "Người duyệt", c.decided_by_id ? who(c.decided_by_id) + " · " + HC.fmtTime(c.decided_at) : "");
    row("Lý do từ chối", c.reject_reason);
    row("Lý do dừng", c.halt_message);
    box.appendChild(dl);
    box.appendChild(actions(c));
    box.appendChild(reportBox(c, rep));
    if (OPEN.indexOf(c.status) >= 0) {  // sending goes on in the workers: look again now and then
      refreshTimer = setInterval(function () { if (HC.isShown("campaigns") && current === c.id) { openCampaign(c.id); } }, 15000);
    }
  }

  function who(id) { return id === HC.me.id ? "bạn (" + HC.me.username + ")" : "tài khoản #" + id; }

  function actions(c) {
    var wrap = el("div", "campaign-actions");
    var bar = el("p", "actions"); wrap.appendChild(bar);
    function button(id, label, cls, fn) {
      var b = el("button", cls || null, label); b.type = "button"; b.id = id;
      b.addEventListener("click", fn); bar.appendChild(b); return b;
    }
    function act(path, body, done) {
      return HC.api("POST", "/campaigns/" + c.id + "/" + path, body).then(function (r) {
        HC.flash(done + " «" + r.campaign.title + "».");
        return openCampaign(c.id);
      }).catch(HC.fail);
    }
    if (c.status === "draft" || c.status === "rejected") {
      button("cmp-edit", c.status === "rejected" ? "Sửa lại" : "Sửa", "secondary", function () { compose(c); });
    }
    if (c.status === "draft") { button("cmp-send-review", "Gửi duyệt", null, function () { act("submit", undefined, "Đã gửi duyệt"); }); }
    if (c.status === "submitted") {
      if (c.can_approve) {
        button("cmp-approve", "Duyệt và cho gửi", null, function () { act("approve", undefined, "Đã duyệt"); });
        var reason = el("textarea"); reason.id = "cmp-reject-reason"; reason.rows = 2;
        reason.placeholder = "Lý do từ chối (người soạn sẽ thấy)"; reason.setAttribute("aria-label", "Lý do từ chối");
        wrap.appendChild(reason);
        var rb = el("p", "actions"); wrap.appendChild(rb);
        var rej = el("button", "secondary", "Từ chối"); rej.type = "button"; rej.id = "cmp-reject";
        rej.addEventListener("click", function () { act("reject", { reason: reason.value }, "Đã từ chối"); });
        rb.appendChild(rej);
      } else {
        var h = el("p", "hint four-eyes", "Bạn đã soạn hoặc gửi duyệt thông báo này: cần một người khác (giám sát, quản trị hoặc cán bộ truyền thông) duyệt.");
        h.id = "cmp-four-eyes"; wrap.appendChild(h);
      }
    }
    if (c.status === "halted") { button("cmp-resume", "Gửi tiếp", null, function () { act("resume", undefined, "Đã cho gửi tiếp"); }); }
    if (["draft", "submitted", "approved", "sending", "halted"].indexOf(c.status) >= 0) {
      button("cmp-cancel", "Hủy thông báo", "secondary", function () {
        if (window.confirm("Hủy thông báo này? Người nhận chưa được gửi sẽ không nhận nữa.")) { act("cancel", undefined, "Đã hủy"); }
      });
    }
    return wrap;
  }

  function reportBox(c, rep) {
    var box = el("section", "campaign-report"); box.id = "campaign-report";
    box.appendChild(el("h3", null, "Báo cáo gửi"));
    var counts = rep.counts, table = el("table", "grid"), tb = el("tbody");
    var head = el("tr");
    ["Tổng", "Đã gửi", "Bỏ qua", "Lỗi", "Chờ gửi"].forEach(function (t) { head.appendChild(el("th", null, t)); });
    var vals = el("tr"); vals.id = "campaign-counts";
    [counts.total, counts.by_status.sent, counts.by_status.skipped, counts.by_status.failed, counts.by_status.pending]
      .forEach(function (n) { vals.appendChild(el("td", null, n || 0)); });
    tb.appendChild(head); tb.appendChild(vals); table.appendChild(tb); box.appendChild(table);
    var reasons = Object.keys(counts.skipped_by_reason || {});
    if (reasons.length) {
      var ul = el("ul", "reasons"); ul.id = "campaign-reasons";
      reasons.forEach(function (r) { ul.appendChild(el("li", null, "Bỏ qua vì " + reasonLabel(r) + ": " + counts.skipped_by_reason[r])); });
      box.appendChild(ul);
    }
    var t = rep.timing || {};
    if (t.started_at) { box.appendChild(el("p", "meta", "Bắt đầu gửi " + HC.fmtTime(t.started_at) + (t.finished_at ? " · xong " + HC.fmtTime(t.finished_at) : ""))); }
    var csv = el("a", null, "Tải danh sách người nhận (.csv)"); csv.href = "/console/api/campaigns/" + c.id + "/report.csv";
    box.appendChild(csv);
    box.appendChild(el("h3", null, "Người nhận"));
    var filter = el("select"); filter.id = "recipient-filter"; filter.setAttribute("aria-label", "Lọc người nhận");
    [["", "Tất cả"]].concat(Object.keys(RECIPIENT).map(function (k) { return [k, RECIPIENT[k]]; })).forEach(function (p) {
      var o = el("option", null, p[1]); o.value = p[0]; filter.appendChild(o);
    });
    filter.addEventListener("change", function () { loadRecipients(c.id, filter.value, 0); });
    box.appendChild(filter);
    var rt = el("table", "grid"), rh = el("tr"), thead = el("thead");
    ["Người nhận", "Trạng thái", "Lý do", "Số lần thử", "Gửi lúc"].forEach(function (t) { rh.appendChild(el("th", null, t)); });
    thead.appendChild(rh); rt.appendChild(thead);
    var body = el("tbody"); body.id = "recipients-rows"; rt.appendChild(body); box.appendChild(rt);
    var more = el("button", "secondary small", "Xem thêm"); more.type = "button"; more.id = "recipients-more"; more.hidden = true;
    box.appendChild(more);
    return box;
  }

  function loadRecipients(id, status, offset) {
    var q = "?limit=50&offset=" + offset + (status ? "&status=" + status : "");
    return HC.api("GET", "/campaigns/" + id + "/recipients" + q).then(function (d) {
      var body = $("recipients-rows");
      if (!body || current !== id) { return; }
      if (!offset) { HC.clear(body); }
      d.recipients.forEach(function (r) {
        var tr = el("tr");
        [r.external_id, RECIPIENT[r.status] || r.status, r.reason ? reasonLabel(r.reason) : (r.error || ""), r.attempts, HC.fmtTime(r.sent_at)]
          .forEach(function (v) { tr.appendChild(el("td", null, v)); });
        body.appendChild(tr);
      });
      if (!d.total) { var tr = el("tr"); var td = el("td", "empty", "Chưa có người nhận (danh sách được lập khi bắt đầu gửi)"); td.colSpan = 5; tr.appendChild(td); body.appendChild(tr); }
      var more = $("recipients-more"), next = offset + d.recipients.length;
      more.hidden = next >= d.total;
      more.onclick = function () { loadRecipients(id, status, next); };
    });
  }

  HC.views.campaigns = function () {
    return loadOptions().then(function () {
      if (current) { return openCampaign(current); }
      return loadList();
    }).catch(HC.fail);
  };

  HC.wirers.push(function () {
    if (!HC.hasRole("supervisor admin communications")) { return; }
    $("campaign-new").addEventListener("click", function () { loadOptions().then(function () { compose(null); }).catch(HC.fail); });
    var filter = $("campaign-filter");
    filter.addEventListener("change", function () { loadList().catch(HC.fail); });
    loadOptions().then(function () {
      Object.keys(opts.status_labels).forEach(function (k) { var o = el("option", null, opts.status_labels[k]); o.value = k; filter.appendChild(o); });
    }).catch(HC.fail);
    HC.on("resync", function () { if (HC.isShown("campaigns")) { HC.views.campaigns(); } });
  });
})();
