/* The embeddable widget: <script src="https://<rasa server>/webhooks/webchat/widget.js" defer></script>
 * adds a "Chat with us" bubble that opens the chat in a panel. Everything lives in a shadow root,
 * so the charity's site styles and ours do not mix. Served after chat.js in the same file.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(".", script ? script.src : location.href).href;

  function start() {
    if (document.getElementById("newham-advice-chat")) { return; }
    var host = document.createElement("div");
    host.id = "newham-advice-chat";
    document.body.appendChild(host);
    var shadow = host.attachShadow({ mode: "open" });
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = base + "chat.css";
    shadow.appendChild(css);

    var bubble = document.createElement("button");
    bubble.type = "button";
    bubble.className = "tc-bubble";
    bubble.textContent = "Chat with us";
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-controls", "tc-panel");
    var panel = document.createElement("div");
    panel.className = "tc-panel";
    panel.id = "tc-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "Chat with Newham Community Advice");
    panel.hidden = true;
    shadow.appendChild(bubble);
    shadow.appendChild(panel);

    var chat = null;
    function open() {
      if (!chat) {
        chat = window.TriageChat.mount(panel, { base: base, stylesheet: false, onClose: close });
      }
      panel.hidden = false;
      bubble.hidden = true;
      bubble.setAttribute("aria-expanded", "true");
      try { sessionStorage.setItem("newham-advice-chat:open", "1"); } catch (e) { /* ignore */ }
      chat.focus();
    }
    function close() {
      panel.hidden = true;
      bubble.hidden = false;
      bubble.setAttribute("aria-expanded", "false");
      try { sessionStorage.removeItem("newham-advice-chat:open"); } catch (e) { /* ignore */ }
      bubble.focus();
    }
    bubble.addEventListener("click", open);
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
    try { if (sessionStorage.getItem("newham-advice-chat:open")) { open(); } } catch (e) { /* ignore */ }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
