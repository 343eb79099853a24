/* Embeddable chat bubble: <script src="https://HUB/webchat/widget.js" async></script>
   Opens the hub's chat page in an iframe, so the session lives on the hub's origin. */
(function () {
  "use strict";
  if (window.__hub1022Widget) return;
  window.__hub1022Widget = true;
  var me = document.currentScript;
  var src = new URL("./", me ? me.src : location.href).href; // .../webchat/
  var label = (me && me.dataset.label) || "Hỏi đáp Tổng đài 1022";
  var btn = document.createElement("button");
  btn.type = "button";
  btn.setAttribute("aria-label", label);
  btn.title = label;
  // a speech-bubble icon drawn inline (no emoji font needed); static markup, no user data
  btn.innerHTML = '<svg width="30" height="30" viewBox="0 0 24 24" aria-hidden="true"><path fill="#fff" ' +
    'd="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>';
  btn.style.cssText = "position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;" +
    "background:#b3261e;color:#fff;display:flex;align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.3);cursor:pointer;z-index:2147483000";
  var frame = null;
  var KEY = "hub1022.widget.session";
  var hubOrigin = new URL(src).origin;
  function saved() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  // the chat (on the hub's origin) may be denied storage inside an iframe: it tells us its
  // session and we keep it here, on the portal's origin, so a reload finds the history
  window.addEventListener("message", function (ev) {
    if (ev.origin !== hubOrigin || !ev.data || ev.data.type !== "hub1022:session") return;
    try { localStorage.setItem(KEY, String(ev.data.token)); } catch (e) { /* nothing to keep it in */ }
  });
  btn.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      var token = saved();
      frame.src = token ? src + "#session=" + encodeURIComponent(token) : src;
      frame.title = label;
      frame.style.cssText = "position:fixed;right:20px;bottom:90px;width:370px;height:560px;max-width:calc(100vw - 40px);" +
        "max-height:calc(100vh - 110px);border:0;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);z-index:2147483000;background:#fff";
      document.body.appendChild(frame);
    } else {
      frame.style.display = frame.style.display === "none" ? "block" : "none";
    }
  });
  (document.body ? Promise.resolve() : new Promise(function (r) { document.addEventListener("DOMContentLoaded", r); }))
    .then(function () { document.body.appendChild(btn); });
})();
