/* Support widget loader: the one script a site embeds.
 * It adds one container (a launcher button and the widget's iframe), defines window.SupportWidget
 * and nothing else, styles only its own elements (inline), and stores nothing on the host page
 * unless the frame cannot keep the visitor's token itself (see the README, "The widget").
 * Frame and loader talk by postMessage, each checking the other's origin. */
(function () {
  "use strict";
  if (window.SupportWidget) return;
  const doc = document;
  const script = doc.currentScript || doc.querySelector("script[src*='/widget.js']");
  const server = new URL(script.src, location.href).origin;
  const KEY = "support-widget:token";
  const Z = "2147483000";
  const T = {
    en: ["Open chat", "Close chat", "unread"],
    fr: ["Ouvrir le chat", "Fermer le chat", "non lus"],
    es: ["Abrir el chat", "Cerrar el chat", "sin leer"],
    ar: ["افتح الدردشة", "أغلق الدردشة", "غير مقروءة"],
  };
  const lang = (navigator.language || "en").slice(0, 2).toLowerCase();
  const t = T[lang] || T.en;
  const sound = script.getAttribute("data-sound") === "on";
  let root,
    button,
    badge,
    frame,
    ready = false,
    isOpen = false,
    unread = 0;
  const queue = [],
    listeners = {};
  const cfg = { color: "#1f6feb", position: "right" };
  const narrow = window.matchMedia("(max-width: 480px)");
  const still = window.matchMedia("(prefers-reduced-motion: reduce)");
  const ICON_CHAT =
    "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z";
  const ICON_CLOSE = "M6 6l12 12M18 6L6 18";

  function css(el, styles) {
    for (const k in styles) el.style.setProperty(k, styles[k], "important");
  }

  function lum(hex) {
    const m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) return 0.1;
    const n = parseInt(m[1], 16),
      c = [n >> 16, (n >> 8) & 255, n & 255].map(function (v) {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
      });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  /* White or black text, whichever contrasts more with the brand colour (always >= 4.5:1). */
  function ink(hex) {
    const l = lum(hex);
    return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#fff" : "#000";
  }

  function emit(name, data) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try {
        fn(data);
      } catch (e) {
        setTimeout(function () {
          throw e;
        });
      }
    });
  }

  function post(msg) {
    msg.source = "support-widget";
    if (ready) frame.contentWindow.postMessage(msg, server);
    else queue.push(msg);
  }

  function icon(path, stroke) {
    const ns = "http://www.w3.org/2000/svg",
      svg = doc.createElementNS(ns, "svg"),
      p = doc.createElementNS(ns, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    p.setAttribute("d", path);
    if (stroke) {
      p.setAttribute("fill", "none");
      p.setAttribute("stroke", "currentColor");
      p.setAttribute("stroke-width", "2.4");
      p.setAttribute("stroke-linecap", "round");
    } else p.setAttribute("fill", "currentColor");
    svg.appendChild(p);
    return svg;
  }

  function side() {
    const s = cfg.position === "left" ? "left" : "right";
    return [s, s === "left" ? "right" : "left"];
  }

  function place() {
    const s = side(),
      full = narrow.matches;
    css(button, {
      position: "fixed",
      bottom: "20px",
      width: "56px",
      height: "56px",
      margin: "0",
      padding: "0",
      border: "0",
      "border-radius": "50%",
      background: cfg.color,
      color: ink(cfg.color),
      cursor: "pointer",
      display: isOpen && full ? "none" : "flex",
      "align-items": "center",
      "justify-content": "center",
      "box-shadow": "0 4px 16px rgba(0,0,0,.25)",
      "z-index": Z,
      transition: still.matches ? "none" : "transform .15s ease",
      "line-height": "1",
      "box-sizing": "border-box",
      "outline-offset": "3px",
    });
    button.style.setProperty(s[0], "20px", "important");
    button.style.removeProperty(s[1]);
    if (!frame) return;
    css(
      frame,
      full
        ? {
            top: "0",
            bottom: "0",
            left: "0",
            right: "0",
            width: "100%",
            height: "100%",
            "border-radius": "0",
          }
        : {
            top: "auto",
            bottom: "88px",
            width: "370px",
            height: "min(600px, calc(100vh - 108px))",
            "border-radius": "16px",
          },
    );
    if (!full) {
      frame.style.setProperty(s[0], "20px", "important");
      frame.style.setProperty(s[1], "auto", "important");
    }
  }

  function label() {
    button.replaceChildren(icon(isOpen ? ICON_CLOSE : ICON_CHAT, isOpen), badge);
    const text = isOpen ? t[1] : t[0] + (unread ? " (" + unread + " " + t[2] + ")" : "");
    button.setAttribute("aria-label", text);
    button.setAttribute("aria-expanded", String(isOpen));
    badge.textContent = String(unread);
    css(badge, { display: unread && !isOpen ? "block" : "none" });
  }

  function beep() {
    try {
      const A = window.AudioContext || window.webkitAudioContext,
        ctx = new A(),
        o = ctx.createOscillator(),
        g = ctx.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.08, ctx.currentTime);
      g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
      o.connect(g).connect(ctx.destination);
      o.start();
      o.stop(ctx.currentTime + 0.25);
    } catch {
      /* no sound where audio is not allowed */
    }
  }

  function makeFrame() {
    if (frame) return;
    frame = doc.createElement("iframe");
    frame.setAttribute("data-testid", "support-frame");
    frame.setAttribute("title", t[0]);
    frame.id = "support-widget-frame";
    frame.src = server + "/widget/frame?origin=" + encodeURIComponent(location.origin);
    css(frame, {
      position: "fixed",
      display: "none",
      border: "0",
      margin: "0",
      padding: "0",
      "max-width": "none",
      background: "transparent",
      "box-shadow": "0 12px 48px rgba(0,0,0,.28)",
      "z-index": Z,
      "color-scheme": "normal",
    });
    button.setAttribute("aria-controls", frame.id);
    root.appendChild(frame);
    place();
  }

  function onMessage(e) {
    if (!frame || e.origin !== server || e.source !== frame.contentWindow) return;
    const d = e.data || {};
    if (d.source !== "support-frame") return;
    if (d.type === "ready") {
      ready = true;
      let stored = null;
      try {
        stored = localStorage.getItem(KEY);
      } catch {
        /* storage denied */
      }
      if (stored) post({ type: "restore", token: stored });
      post({ type: "page", url: location.href, referrer: doc.referrer });
      queue.splice(0).forEach(post);
      /* Opened before the frame had loaded: focusing a cross-site frame that is still loading
         can leave Chromium's keyboard input outside it (typed text lost), so focus it now. */
      if (isOpen) frame.focus();
      emit("ready", {});
    } else if (d.type === "close") close();
    else if (d.type === "config") {
      cfg.color = d.color || cfg.color;
      cfg.position = d.position || cfg.position;
      if (d.title) frame.setAttribute("title", d.title);
      place();
    } else if (d.type === "unread") {
      const more = d.count > unread;
      unread = isOpen ? 0 : d.count;
      label();
      if (more && !isOpen && sound) beep();
      emit("unread", { count: unread });
    } else if (d.type === "event") emit(d.name, d.data);
    else if (d.type === "store") {
      try {
        if (d.token) localStorage.setItem(KEY, d.token);
        else localStorage.removeItem(KEY);
      } catch {
        /* nowhere left to keep it: the chat lasts this page view */
      }
    }
  }

  function open() {
    makeFrame();
    if (isOpen) return;
    isOpen = true;
    unread = 0;
    css(frame, { display: "block" });
    place();
    label();
    if (ready) frame.focus();
    post({ type: "open" });
    emit("open", {});
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    css(frame, { display: "none" });
    place();
    label();
    post({ type: "close" });
    button.focus();
    emit("close", {});
  }

  function build() {
    root = doc.createElement("div");
    root.id = "support-widget";
    root.setAttribute("role", "complementary");
    root.setAttribute("aria-label", "Support");
    button = doc.createElement("button");
    button.type = "button";
    button.setAttribute("data-testid", "support-launcher");
    badge = doc.createElement("span");
    badge.setAttribute("aria-hidden", "true");
    css(badge, {
      position: "absolute",
      top: "-4px",
      right: "-4px",
      "min-width": "20px",
      height: "20px",
      padding: "0 6px",
      "box-sizing": "border-box",
      "border-radius": "10px",
      background: "#c4161c",
      color: "#fff",
      font: "700 12px/20px system-ui, sans-serif",
      "text-align": "center",
    });
    button.addEventListener("click", function () {
      isOpen ? close() : open();
    });
    root.addEventListener("keydown", function (e) {
      if (e.key === "Escape") close();
    });
    root.appendChild(button);
    label();
    place();
    doc.body.appendChild(root);
    narrow.addEventListener("change", place);
    window.addEventListener("message", onMessage);
    /* Another tab of this site started the chat: this tab's widget joins it. */
    window.addEventListener("storage", function (e) {
      if (e.key === KEY && e.newValue) post({ type: "restore", token: e.newValue });
    });
    fetch(server + "/api/widget/config")
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (c) {
        if (!c) return;
        cfg.color = (c.brand && c.brand.color) || cfg.color;
        cfg.position = (c.layout && c.layout.position) || cfg.position;
        place();
      })
      .catch(function () {
        /* keep the default look; the frame sends the real one */
      });
    /* A mailed link (#support-resume=…) reopens its chat. */
    const link = /support-resume=([^&]+)/.exec(location.hash);
    if (link) {
      try {
        history.replaceState(history.state, "", location.pathname + location.search);
      } catch {
        /* kept */
      }
      post({ type: "resume", token: decodeURIComponent(link[1]) });
      open();
    }
    /* The frame loads once the page has, so it never competes with the host's own content. */
    if (doc.readyState === "complete") setTimeout(makeFrame, 0);
    else
      window.addEventListener("load", function () {
        setTimeout(makeFrame, 0);
      });
  }

  window.SupportWidget = {
    open: open,
    close: close,
    toggle: function () {
      isOpen ? close() : open();
    },
    identify: function (who) {
      const d = { type: "identify" };
      ["name", "email", "hash"].forEach(function (k) {
        if (who && typeof who[k] === "string") d[k] = who[k];
      });
      makeFrame();
      post(d);
    },
    on: function (name, fn) {
      (listeners[name] = listeners[name] || []).push(fn);
      return function () {
        listeners[name] = listeners[name].filter(function (f) {
          return f !== fn;
        });
      };
    },
  };

  if (doc.body) build();
  else doc.addEventListener("DOMContentLoaded", build);
})();
