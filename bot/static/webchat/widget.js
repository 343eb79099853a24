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
  btn.textContent = "💬";
  btn.style.cssText = "position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;" +
    "background:#b3261e;color:#fff;font-size:28px;box-shadow:0 4px 14px rgba(0,0,0,.3);cursor:pointer;z-index:2147483000";
  var frame = null;
  btn.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = src;
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
