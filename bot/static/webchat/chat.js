/* Web chat client for the 1022 hub. Every text goes through textContent: never HTML.
   Session kept in localStorage across reloads; WebSocket with reconnect backoff;
   gaps filled from GET /messages?after=<last seq>. */
(function () {
  "use strict";
  var base = new URL(".", document.currentScript ? document.currentScript.src : location.href);
  var root = new URL("..", base); // /webchat/
  var api = new URL("api/", root);
  var KEY = "hub1022.webchat.session";
  // Embedded on another site, the browser may deny storage to this iframe (third-party
  // storage blocked): the chat still works, the session then lasts as long as the page.
  var store = (function () {
    try {
      var probe = "hub1022.probe";
      window.localStorage.setItem(probe, probe);
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      var mem = {};
      return {
        getItem: function (k) { return Object.prototype.hasOwnProperty.call(mem, k) ? mem[k] : null; },
        setItem: function (k, v) { mem[k] = String(v); },
        removeItem: function (k) { delete mem[k]; }
      };
    }
  })();
  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var statusEl = document.getElementById("status");
  var state = { token: null, conversation: null, lastSeq: 0, seen: {}, ws: null, retry: 0, pending: {} };
  var WHO = { citizen: "Anh/chị", bot: "Trợ lý tự động", operator: "Cán bộ tổng đài", agency: "Cơ quan chuyên môn", system: "Hệ thống" };

  function setStatus(t) { statusEl.textContent = t; }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0; return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
    });
  }

  function request(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (state.token) headers["Authorization"] = "Bearer " + state.token;
    return fetch(new URL(path, api), { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) { var e = new Error(j.error || ("HTTP " + r.status)); e.status = r.status; throw e; }
          return j;
        });
      });
  }

  function fmtTime(iso) {
    try { return new Date(iso).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" }); } catch (e) { return ""; }
  }

  function render(m) {
    if (state.seen[m.id]) {
      var old = document.querySelector('[data-id="' + m.id + '"]');
      if (old) old.classList.toggle("failed", m.status === "failed");
      return;
    }
    state.seen[m.id] = true;
    var li = document.createElement("li");
    li.className = "msg " + (m.direction === "in" ? "in" : "out");
    li.dataset.id = m.id;
    li.dataset.seq = m.seq;
    if (m.direction !== "in") {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = WHO[m.sender] || m.sender;
      li.appendChild(who);
    }
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = m.text;
    li.appendChild(body);
    if (m.buttons && m.buttons.length) {
      var box = document.createElement("div");
      box.className = "buttons";
      m.buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b;
        btn.addEventListener("click", function () { send(b); });
        box.appendChild(btn);
      });
      li.appendChild(box);
    }
    var t = document.createElement("span");
    t.className = "time";
    t.textContent = fmtTime(m.created_at);
    li.appendChild(t);
    if (m.status === "failed") li.classList.add("failed");
    // keep seq order even when a live event overtakes a gap-fill
    var after = null;
    Array.prototype.some.call(list.children, function (el) {
      if (Number(el.dataset.seq) > m.seq) { after = el; return true; }
      return false;
    });
    list.insertBefore(li, after);
    if (m.seq > state.lastSeq) state.lastSeq = m.seq;
    list.scrollTop = list.scrollHeight;
  }

  function resetConversation(id) {
    state.conversation = id; state.lastSeq = 0; state.seen = {};
    while (list.firstChild) list.removeChild(list.firstChild);
  }

  function fill() {
    return request("GET", "messages?after=" + state.lastSeq).then(function (j) {
      if (j.conversation_id && j.conversation_id !== state.conversation) { resetConversation(j.conversation_id); return fill(); }
      j.messages.forEach(render);
    });
  }

  function connect() {
    var u = new URL("ws", root);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    u.searchParams.set("token", state.token);
    var ws = new WebSocket(u);
    state.ws = ws;
    ws.onopen = function () { state.retry = 0; setStatus("Đã kết nối"); fill().catch(function () {}); };
    ws.onmessage = function (ev) {
      var data; try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data.type !== "message") return;
      if (data.conversation_id !== state.conversation) { fill().catch(function () {}); return; }
      if (data.message.seq > state.lastSeq + 1) { fill().catch(function () {}); }
      render(data.message);
    };
    ws.onclose = function () {
      if (state.ws !== ws) return;
      setStatus("Mất kết nối, đang thử lại…");
      var delay = Math.min(30000, 500 * Math.pow(2, state.retry++)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  function send(text) {
    var cid = uuid();
    var attempt = function (n) {
      return request("POST", "messages", { client_id: cid, text: text }).then(function (j) {
        if (j.conversation_id && j.conversation_id !== state.conversation) {
          resetConversation(j.conversation_id);
          if (state.ws) { var old = state.ws; state.ws = null; old.close(); }
          connect();
        }
        return fill();
      }).catch(function (e) {
        if (e.status === 401) { store.removeItem(KEY); return start().then(function () { return attempt(n); }); }
        if (e.status && e.status < 500) { setStatus(e.message); throw e; }
        if (n >= 5) { setStatus("Không gửi được tin nhắn, vui lòng thử lại"); throw e; }
        // same client_id on retry: the hub stores it once
        return new Promise(function (r) { setTimeout(r, 500 * Math.pow(2, n)); }).then(function () { return attempt(n + 1); });
      });
    };
    return attempt(0);
  }

  function fromHost() {
    // embedded by widget.js: the host page keeps the session and hands it back in the URL
    var m = /(?:^#|&)session=([^&]+)/.exec(location.hash);
    return m ? decodeURIComponent(m[1]) : null;
  }

  function tellHost(token) {
    if (window.parent && window.parent !== window) {
      window.parent.postMessage({ type: "hub1022:session", token: token }, "*");
    }
  }

  function start() {
    var saved = store.getItem(KEY) || fromHost();
    return request("POST", "session", saved ? { session_token: saved } : {}).then(function (j) {
      state.token = j.session_token;
      store.setItem(KEY, j.session_token);
      tellHost(j.session_token);
      if (j.conversation_id !== state.conversation) resetConversation(j.conversation_id);
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text).catch(function () { input.value = text; });
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });

  start().then(function () { return fill(); }).then(connect).catch(function (e) {
    setStatus("Không kết nối được tổng đài: " + e.message);
    setTimeout(function () { location.reload(); }, 10000);
  });
})();
