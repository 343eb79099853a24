/* The report view (Điều 11.2, 13.3): presets month / quarter / year / custom, the figures of
   GET /console/api/reports, charts drawn here as inline SVG (no CDN, no library), the
   per-agency tickets of GET /console/api/report, and the downloads (.xlsx, PDF, records). */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, el = HC.el, L = HC.L;
  var SVG = "http://www.w3.org/2000/svg";

  var HANDLED = [
    ["bot_direct", "Trợ lý ảo trả lời trực tiếp", "#2e7d32"],
    ["bot_suggestion", "Trợ lý ảo, qua câu gợi ý", "#66bb6a"],
    ["operator", "Cán bộ trực trả lời", "#1565c0"],
    ["forwarded", "Chuyển đơn vị", "#f9a825"],
    ["refused", "Từ chối", "#8d6e63"],
    ["open", "Đang chờ xử lý", "#9e9e9e"]
  ];
  var AGENCY = [
    ["answered_in_time", "Trong 8 giờ làm việc", "#2e7d32"],
    ["late_with_progress", "Muộn, có hẹn lại", "#f9a825"],
    ["late_without_progress", "Muộn, không cập nhật", "#e65100"],
    ["open_overdue", "Chưa trả lời, quá hạn", "#c62828"],
    ["open_in_time", "Chưa trả lời, còn hạn", "#9e9e9e"]
  ];

  function svg(tag, attrs, text) {
    var n = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) { n.textContent = text; }
    return n;
  }

  // horizontal bars: items [{name, parts: [[value, colour, label]]}], stacked per item
  function barChart(title, items, legend) {
    var rowH = 26, labelW = 230, barW = 360, top = 30, width = labelW + barW + 60;
    var spots = [], lx = 0, lrow = 0;  // the legend's entries, wrapped to the chart's width
    (legend || []).forEach(function (l) {
      var w = 22 + l[1].length * 6.2;
      if (lx && lx + w > width) { lx = 0; lrow += 1; }
      spots.push([lx, lrow, l]);
      lx += w;
    });
    var h = top + items.length * rowH + (legend ? 22 * (lrow + 1) + 8 : 10);
    var box = el("figure", "chart");
    var s = svg("svg", { width: width, height: h, viewBox: "0 0 " + width + " " + h, role: "img" });
    s.appendChild(svg("title", {}, title));
    s.appendChild(svg("text", { x: 0, y: 16, "font-size": 14, "font-weight": "bold", fill: "#1d2733" }, title));
    var max = 1;
    items.forEach(function (it) {
      var sum = it.parts.reduce(function (a, p) { return a + p[0]; }, 0);
      if (sum > max) { max = sum; }
    });
    items.forEach(function (it, i) {
      var y = top + i * rowH;
      s.appendChild(svg("text", { x: 0, y: y + 15, "font-size": 12, fill: "#1d2733" }, it.name.length > 34 ? it.name.slice(0, 33) + "…" : it.name));
      var x = labelW, sum = 0;
      it.parts.forEach(function (p) {
        if (!p[0]) { return; }
        var w = barW * p[0] / max;
        var r = svg("rect", { x: x, y: y + 3, width: w, height: 16, fill: p[1], "class": "bar" });
        r.appendChild(svg("title", {}, p[2] + ": " + p[0]));
        s.appendChild(r);
        x += w; sum += p[0];
      });
      s.appendChild(svg("text", { x: x + 6, y: y + 15, "font-size": 12, fill: "#1d2733" }, String(sum)));
    });
    var legendTop = top + items.length * rowH + 18;
    spots.forEach(function (p) {
      var x = p[0], y = legendTop + 22 * p[1], l = p[2];
      s.appendChild(svg("rect", { x: x, y: y - 10, width: 12, height: 12, fill: l[2] }));
      s.appendChild(svg("text", { x: x + 16, y: y, "font-size": 11, fill: "#1d2733" }, l[1]));
    });
    box.appendChild(s);
    return box;
  }

  function query() {
    var q = ["preset=" + encodeURIComponent($("report-preset").value)];
    if ($("report-from").value) { q.push("from=" + $("report-from").value); }
    if ($("report-to").value) { q.push("to=" + $("report-to").value); }
    return q.join("&");
  }

  function figures(r) {
    var box = HC.clear($("report-figures"));
    var median = r.first_reply_median_minutes === null ? "chưa có" : r.first_reply_median_minutes + " phút";
    var items = [
      ["Tổng số yêu cầu", r.total],
      ["Thời gian tới câu trả lời đầu tiên của cán bộ (trung vị)", median],
      ["Trả lời qua điện thoại, ghi nhận trong 4 giờ làm việc", r.phone_writeup.in_time],
      ["Trả lời qua điện thoại, ghi nhận muộn", r.phone_writeup.late],
      ["Yêu cầu khẩn", r.urgent.total],
      ["Yêu cầu khẩn trả lời muộn hoặc quá hạn", r.urgent.late + r.urgent.open_overdue]
    ];
    HANDLED.forEach(function (h) { items.push([h[1], r.handled[h[0]] || 0]); });
    items.forEach(function (it) {
      var d = el("div", "figure");
      d.appendChild(el("span", "figure-value", String(it[1])));
      d.appendChild(el("span", "figure-label", it[0]));
      box.appendChild(d);
    });
    var charts = HC.clear($("report-charts"));
    charts.appendChild(barChart("Cách xử lý yêu cầu", HANDLED.map(function (h) {
      return { name: h[1], parts: [[r.handled[h[0]] || 0, h[2], h[1]]] };
    })));
    charts.appendChild(barChart("Yêu cầu theo kênh", Object.keys(r.by_channel).sort().map(function (k) {
      return { name: L("channel", k), parts: [[r.by_channel[k], "#1565c0", L("channel", k)]] };
    })));
    charts.appendChild(barChart("Trả lời của các đơn vị (Điều 10.3)", r.agencies.map(function (a) {
      return { name: a.agency, parts: AGENCY.map(function (k) { return [a[k[0]] || 0, k[2], k[1]]; }) };
    }), AGENCY));
    charts.appendChild(barChart("Yêu cầu theo lĩnh vực", r.by_domain.map(function (d) {
      return { name: d.name, parts: [[d.count, "#6a1b9a", d.name]] };
    })));
    var body = HC.clear($("report-agency-rows"));
    r.agencies.forEach(function (a) {
      var tr = el("tr");
      [a.agency, a.forwarded, a.answered_in_time, a.late_with_progress, a.late_without_progress, a.open_overdue, a.open_in_time, a.urgent]
        .forEach(function (v) { tr.appendChild(el("td", null, v)); });
      body.appendChild(tr);
    });
  }

  function tickets(from, to) {
    return HC.api("GET", "/report?from=" + from + "&to=" + to).then(function (r) {
      var parts = Object.keys(r.by_status).map(function (k) { return L("status", k) + ": " + r.by_status[k]; });
      var chans = Object.keys(r.by_channel).map(function (k) { return L("channel", k) + ": " + r.by_channel[k]; });
      $("report-summary").textContent = "Tổng số phiếu: " + r.total + " · " + parts.join(", ") +
        (chans.length ? " · Kênh — " + chans.join(", ") : "");
      var body = HC.clear($("report-rows"));
      r.by_agency.forEach(function (a) {
        var tr = el("tr");
        [a.agency, a.forwarded || 0, a.answered_on_time || 0, a.answered_late || 0, a.overdue_now || 0, a.breaches || 0]
          .forEach(function (v) { tr.appendChild(el("td", null, v)); });
        body.appendChild(tr);
      });
    });
  }

  function loadReport() {
    return HC.api("GET", "/reports?" + query()).then(function (r) {
      $("report-from").value = r.from;
      $("report-to").value = r.to;
      var q = "preset=custom&from=" + r.from + "&to=" + r.to;
      $("report-xlsx").href = "/console/api/reports.xlsx?" + q;
      $("report-pdf").href = "/console/api/reports.pdf?" + q;
      $("records-xlsx").href = "/console/api/records.xlsx?from=" + r.from + "&to=" + r.to;
      $("records-csv").href = "/console/api/records.csv?from=" + r.from + "&to=" + r.to;
      $("report-period").textContent = "Từ " + r.from.split("-").reverse().join("/") + " đến " + r.to.split("-").reverse().join("/");
      figures(r);
      return tickets(r.from, r.to);
    }).catch(HC.fail);
  }

  HC.views.report = loadReport;

  HC.wirers.push(function () {
    HC.onSubmit("report-form", loadReport);
    $("report-preset").addEventListener("change", function () {
      if (this.value !== "custom") { $("report-to").value = ""; loadReport(); }
    });
  });
})();
