/* Newham Community Advice web chat: the conversation UI, used by the page and by the widget.
 * TriageChat.mount(container, {base}) renders the chat into `container` (a shadow root or an
 * element). The conversation id and history live in this browser's localStorage, so a reload
 * loses nothing; "Clear this chat" forgets both (for shared computers). No external resources.
 */
(function () {
  "use strict";
  if (window.TriageChat) { return; }

  var STORAGE_KEY = "newham-advice-chat:v1";
  var MAX_KEPT = 200;
  var NAME = "Newham Community Advice";

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
      if (saved && typeof saved.sender === "string" && Array.isArray(saved.log)) { return saved; }
    } catch (e) { /* storage unavailable or corrupt: start afresh */ }
    return { sender: newId(), log: [], large: false };
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "className") { node.className = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function mount(container, options) {
    options = options || {};
    var base = options.base || new URL(".", location.href).href;
    var state = load();
    var busy = false;

    function save() {
      state.log = state.log.slice(-MAX_KEPT);
      try { localStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
    }

    var style = el("link", { rel: "stylesheet", href: base + "chat.css" });
    var root = el("section", { className: "tc" + (state.large ? " tc-large" : ""),
                               "aria-label": "Chat with " + NAME });
    var head = el("div", { className: "tc-head" });
    var heading = el(options.headingLevel || "h2", { className: "tc-title", id: "tc-title" }, NAME);
    var tools = el("div", { className: "tc-tools" });
    var larger = el("button", { type: "button", className: "tc-tool", "aria-pressed": String(!!state.large) },
                    "Larger text");
    var clear = el("button", { type: "button", className: "tc-tool" }, "Clear this chat");
    tools.appendChild(larger);
    tools.appendChild(clear);
    if (options.onClose) {
      var close = el("button", { type: "button", className: "tc-tool tc-close", "aria-label": "Close the chat" }, "Close");
      close.addEventListener("click", options.onClose);
      tools.appendChild(close);
    }
    head.appendChild(heading);
    head.appendChild(tools);

    var crisis = el("p", { className: "tc-crisis" });
    crisis.appendChild(document.createTextNode("In danger now? Call "));
    crisis.appendChild(el("a", { href: "tel:999" }, "999"));
    crisis.appendChild(document.createTextNode(". Feeling low? Samaritans, free, any time: "));
    crisis.appendChild(el("a", { href: "tel:116123" }, "116 123"));
    crisis.appendChild(document.createTextNode("."));

    var log = el("ol", { className: "tc-log", role: "log", "aria-live": "polite",
                         "aria-label": "Conversation", tabindex: "0" });
    var typing = el("div", { className: "tc-typing", role: "status", hidden: "" });
    var dots = el("span", { className: "tc-dots", "aria-hidden": "true" });
    dots.appendChild(el("span")); dots.appendChild(el("span")); dots.appendChild(el("span"));
    typing.appendChild(dots);
    typing.appendChild(el("span", { className: "tc-sr" }, "The advice helper is writing a reply"));

    var actions = el("div", { className: "tc-actions" });
    var human = el("button", { type: "button", className: "tc-human" }, "Talk to a person");
    actions.appendChild(human);

    var form = el("form", { className: "tc-form", "aria-label": "Send a message" });
    var label = el("label", { className: "tc-sr", "for": "tc-text" }, "Your message");
    var input = el("textarea", { id: "tc-text", className: "tc-input", rows: "2", maxlength: "2000",
                                 autocomplete: "off", placeholder: "Write your message here" });
    var sendButton = el("button", { type: "submit", className: "tc-send" }, "Send");
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(sendButton);

    var error = el("p", { className: "tc-error", role: "alert", hidden: "" });

    [head, crisis, log, typing, error, actions, form].forEach(function (n) { root.appendChild(n); });
    if (options.stylesheet !== false) { container.appendChild(style); }
    container.appendChild(root);

    function intro() {
      var li = el("li", { className: "tc-msg tc-bot tc-intro" });
      li.appendChild(el("span", { className: "tc-sr" }, "The advice helper said: "));
      li.appendChild(document.createTextNode(
        "Hello. I'm the " + NAME + " helper. Tell me in a few words what's going on, for example " +
        "\u201cI'm in rent arrears\u201d. A real person from our team will follow up with you."));
      log.appendChild(li);
    }

    function disableOldChoices() {
      Array.prototype.forEach.call(log.querySelectorAll(".tc-choices button"), function (b) {
        b.disabled = true;
      });
    }

    function show(item, live) {
      var li = el("li", { className: "tc-msg " + (item.who === "me" ? "tc-me" : "tc-bot") });
      li.appendChild(el("span", { className: "tc-sr" },
                        item.who === "me" ? "You said: " : "The advice helper said: "));
      if (item.text) { li.appendChild(el("span", { className: "tc-text" }, item.text)); }
      if (item.image) { li.appendChild(el("img", { src: item.image, alt: "" })); }
      if (item.buttons && item.buttons.length) {
        var choices = el("div", { className: "tc-choices", role: "group", "aria-label": "Choose an answer" });
        item.buttons.forEach(function (b) {
          var button = el("button", { type: "button", className: "tc-choice" }, b.title);
          button.addEventListener("click", function () { send(b.payload, b.title); });
          choices.appendChild(button);
        });
        li.appendChild(choices);
      }
      if (item.who === "me") { disableOldChoices(); }
      log.appendChild(li);
      if (live !== false) { li.scrollIntoView({ block: "end", behavior: "smooth" }); }
      return li;
    }

    function setBusy(on) {
      busy = on;
      typing.hidden = !on;
      sendButton.disabled = on;
      human.disabled = on;
      if (on) { typing.scrollIntoView({ block: "end" }); }
    }

    function showError(message) {
      error.textContent = message;
      error.hidden = !message;
    }

    function send(message, shown) {
      if (busy || !message) { return Promise.resolve(); }
      showError("");
      var mine = { who: "me", text: shown || message };
      var bubble = show(mine);
      setBusy(true);
      return fetch(base + "webhook", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: state.sender, message: message })
      }).then(function (reply) {
        return reply.json().catch(function () { return null; }).then(function (body) {
          if (!reply.ok || !Array.isArray(body)) {
            throw new Error((body && body.detail) || "Sorry, something went wrong.");
          }
          state.log.push(mine);
          body.forEach(function (m) {
            var item = { who: "bot", text: m.text || "", buttons: m.buttons || [], image: m.image };
            state.log.push(item);
            show(item);
          });
          save();
        });
      }).catch(function (e) {
        bubble.classList.add("tc-failed");
        bubble.appendChild(el("span", { className: "tc-note" }, " (not sent)"));
        if (!shown) { input.value = message; }
        showError((e && e.message && e.message.indexOf("Sorry") === 0 ? e.message + " " : "") +
                  "I couldn't send that. Please check your connection and try again. " +
                  "If you're in danger, call 999.");
      }).then(function () { setBusy(false); });
    }

    intro();
    state.log.forEach(function (item) { show(item, false); });
    var last = state.log[state.log.length - 1];
    if (last && last.who === "me") { disableOldChoices(); }
    log.scrollTop = log.scrollHeight;

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (text && !busy) { input.value = ""; send(text); }
      input.focus();
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
    });
    human.addEventListener("click", function () { send("/request_human", "I'd like to talk to a person"); });
    larger.addEventListener("click", function () {
      state.large = !state.large;
      root.classList.toggle("tc-large", state.large);
      larger.setAttribute("aria-pressed", String(state.large));
      save();
    });
    clear.addEventListener("click", function () {
      if (!window.confirm("Clear this chat from this device? Our team keeps what you have already sent.")) { return; }
      try { localStorage.removeItem(STORAGE_KEY); } catch (e) { /* ignore */ }
      state = { sender: newId(), log: [], large: state.large };
      save();
      while (log.firstChild) { log.removeChild(log.firstChild); }
      intro();
      showError("");
      input.focus();
    });

    return { focus: function () { input.focus(); }, send: send };
  }

  window.TriageChat = { mount: mount };

  // the page: <script src="chat.js" data-mount="chat"> mounts into #chat (no inline script, so
  // the page's Content-Security-Policy can forbid inline code)
  var me = document.currentScript;
  if (me && me.getAttribute("data-mount")) {
    var target = document.getElementById(me.getAttribute("data-mount"));
    var chat = mount(target, { base: new URL(".", me.src).href, headingLevel: "h1", stylesheet: false });
    chat.focus();
  }
})();
