/* Web chat client for the 1022 hub. Every text goes through textContent: never HTML.
   Session kept in localStorage across reloads; the visitor's whole history (every
   conversation, a divider where a new one began after a close) from
   GET /messages?after_id=<last id>; WebSocket with reconnect backoff; a reply's
   suggestions are buttons that send their payload as the citizen's message. */
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
  // the visitor's whole history, every conversation, by message id (ids only grow)
  var state = { token: null, conversation: null, convState: null, lastId: 0, msgs: {}, ws: null, wsFor: null, retry: 0, polling: null, shown: 0, officerTyping: null };
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

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function sorted() {
    return Object.keys(state.msgs).map(function (k) { return state.msgs[k]; })
      .sort(function (a, b) { return a.id - b.id; });
  }

  // a button is {title, payload}; an older hub sent plain strings
  function buttonOf(b) { return typeof b === "string" ? { title: b, payload: b } : b; }

  function item(m, live) {
    var li = el("li", "msg " + (m.direction === "in" ? "in" : "out"));
    li.dataset.id = m.id;
    li.dataset.conversation = m.conversation_id;
    if (m.act === "closed") li.classList.add("closed-notice");
    if (m.status === "failed") li.classList.add("failed");
    if (m.direction !== "in") li.appendChild(el("span", "who", WHO[m.sender] || m.sender));
    li.appendChild(el("span", "text", m.text));
    if (m.ticket_code) li.appendChild(el("span", "ticket", "Mã phiếu: " + m.ticket_code));
    if (m.buttons && m.buttons.length) {
      var box = el("div", "buttons");
      m.buttons.map(buttonOf).forEach(function (b) {
        var btn = el("button", null, b.title);
        btn.type = "button";
        btn.disabled = !live;  // only the latest reply's suggestions can still be tapped
        btn.addEventListener("click", function () { if (!btn.disabled) send(b.payload).catch(function () {}); });
        box.appendChild(btn);
      });
      li.appendChild(box);
    }
    li.appendChild(el("span", "time", fmtTime(m.created_at)));
    return li;
  }

  function redraw() {
    var atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    var all = sorted();
    while (list.firstChild) list.removeChild(list.firstChild);
    var last = all.length ? all[all.length - 1] : null;
    all.forEach(function (m, i) {
      var prev = i ? all[i - 1] : null;
      if (prev && prev.conversation_id !== m.conversation_id && m.conversation_id === state.conversation) {
        list.appendChild(el("li", "divider", "Cuộc trò chuyện mới"));
      }
      list.appendChild(item(m, m === last && m.direction === "out" && state.convState !== "closed"));
    });
    if (last && last.direction === "in" && last.processed === false) {
      list.appendChild(el("li", "typing", "Trợ lý đang trả lời…"));
    } else if (state.officerTyping) {
      list.appendChild(el("li", "typing", "Cán bộ đang nhập…"));
    }
    // follow new messages; a status update leaves a reader of older ones where they are
    if (atBottom || all.length > state.shown) list.scrollTop = list.scrollHeight;
    state.shown = all.length;
    waitForTurn(last);
  }

  // the bot's turn ends without a live event when nobody answers (an officer holds the
  // conversation): while the last message waits, ask again now and then
  function waitForTurn(last) {
    var waiting = last && last.direction === "in" && last.processed === false;
    if (waiting && !state.polling) {
      state.polling = setTimeout(function () { state.polling = null; fill().catch(function () {}); }, 3000);
    }
  }

  function merge(m) {
    if (state.officerTyping && !state.msgs[m.id] && m.direction === "out") {  // the officer's message is here
      clearTimeout(state.officerTyping); state.officerTyping = null;
    }
    state.msgs[m.id] = m;
    if (m.id > state.lastId) state.lastId = m.id;
  }

  function fill() {
    return request("GET", "messages?after_id=" + state.lastId).then(function (j) {
      j.messages.forEach(merge);
      var moved = j.conversation_id && j.conversation_id !== state.conversation;
      state.conversation = j.conversation_id;
      state.convState = j.state;
      redraw();
      if (moved && state.ws) follow();
      if (j.more) return fill();
    });
  }

  // the WebSocket listens to the visitor's newest conversations: reconnect when one opens
  function follow() {
    if (state.wsFor === state.conversation) return;
    if (state.ws) { var old = state.ws; state.ws = null; old.close(); }
    connect();
  }

  function connect() {
    var u = new URL("ws", root);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    u.searchParams.set("token", state.token);
    var ws = new WebSocket(u);
    state.ws = ws;
    state.wsFor = state.conversation;
    ws.onopen = function () { state.retry = 0; setStatus("Đã kết nối"); fill().catch(function () {}); };
    ws.onmessage = function (ev) {
      var data; try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data.type === "processed") {  // the bot's turn is over: no "typing" left waiting
        var mine = state.msgs[data.message_id];
        if (mine && !mine.processed) { mine.processed = true; redraw(); }
        return;
      }
      if (data.type === "typing") {  // shown a few seconds, or until the officer's message
        clearTimeout(state.officerTyping);
        state.officerTyping = data.on ? setTimeout(function () { state.officerTyping = null; redraw(); }, 6000) : null;
        redraw();
        return;
      }
      // the hub's live events were cut: read what was missed, and again once the hub's other
      // processes have surely noticed the bus is back (what they published in between is lost too)
      if (data.type === "resync") { fill().catch(function () {}); setTimeout(function () { fill().catch(function () {}); }, 3000); return; }
      if (data.type !== "message") return;
      var known = state.msgs[data.message.id];
      merge(data.message);
      redraw();
      // a message we did not know of may follow others we missed (or a new conversation)
      if (!known) fill().catch(function () {});
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
          state.conversation = j.conversation_id;  // a new conversation after a close
          state.convState = "bot";
          follow();
        }
        return fill();
      }).catch(function (e) {
        if (e.status === 401) {  // the session ended: a new one, and live events for it
          store.removeItem(KEY);
          return start().then(function () { state.wsFor = null; follow(); return attempt(n); });
        }
        if (e.status && e.status < 500) { setStatus(e.message); throw e; }
        if (n >= 5) { setStatus("Không gửi được tin nhắn, vui lòng thử lại"); throw e; }
        // same client_id on retry: the hub stores it once
        return new Promise(function (r) { setTimeout(r, 500 * Math.pow(2, n)); }).then(function () { return attempt(n + 1); });
      });
    };
    return ready.then(function () { return attempt(0); });  // never before the session exists
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
      if (j.session_token !== state.token) { state.msgs = {}; state.lastId = 0; }  // another visitor
      state.token = j.session_token;
      store.setItem(KEY, j.session_token);
      tellHost(j.session_token);
      state.conversation = j.conversation_id;
      state.convState = j.state || null;
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

  var ready = start().then(function () { return fill(); }).then(connect);
  ready.catch(function (e) {
    setStatus("Không kết nối được tổng đài: " + e.message);
    setTimeout(function () { location.reload(); }, 10000);
  });
})();
