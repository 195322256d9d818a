/* The composer: the pre-chat fields, sending a message (the visitor is created with the first
 * one), files, typing, the rating of a closed chat and "Email me this conversation". */

import { bind } from "../shared/attachment_picker.js";
import { el } from "./dom.js";
import { tr } from "./i18n.js";
import { ensureVisitor } from "./connection.js";
import { liveSocket, state } from "./state.js";
import { setConversation } from "./chat_view.js";
import { renderComposer } from "./status.js";

const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
let typingSent = false;
let typingTimer = null;

function formError(text, field) {
  el.formError.textContent = text || "";
  el.formError.hidden = !text;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

const labelOf = (field) => field.querySelector("label").textContent;

/** The pre-chat fields as a profile, or null (with the error shown) when they are not valid. */
function readForm() {
  const profile = {};
  const name = el.visitorName.value.trim();
  const email = el.visitorEmail.value.trim();
  el.visitorName.removeAttribute("aria-invalid");
  el.visitorEmail.removeAttribute("aria-invalid");
  if (!el.fieldName.hidden && name) profile.name = name;
  if (!el.fieldName.hidden && !name && state.required.name) {
    formError(tr("required", { field: labelOf(el.fieldName) }), el.visitorName);
    return null;
  }
  if (!el.fieldEmail.hidden && email) {
    if (!EMAIL_RE.test(email)) {
      formError(tr("invalidEmail"), el.visitorEmail);
      return null;
    }
    profile.email = email;
  }
  if (!el.fieldEmail.hidden && !email && state.required.email) {
    const why = state.online
      ? tr("required", { field: labelOf(el.fieldEmail) })
      : tr("emailNeeded");
    formError(why, el.visitorEmail);
    return null;
  }
  formError(null);
  return profile;
}

const failure = (err) => ({ code: "error", message: err.message });

function submit(e) {
  e.preventDefault();
  const body = el.chatInput.value;
  if (!body.trim()) return el.chatInput.focus();
  const profile = readForm();
  if (!profile) return;
  const item = state.outbox.add({ body }, { send: false });
  el.chatInput.value = "";
  autosize();
  sendTyping(false);
  const hadVisitor = !!state.token;
  ensureVisitor(profile).then(
    () => {
      if (profile.name) state.identity.name = profile.name;
      if (!profile.email) return state.outbox.send(item);
      state.emailKnown = profile.email;
      if (!state.online) {
        el.sentNote.textContent = tr("offlineSent", { email: profile.email });
        el.sentNote.hidden = false;
      }
      renderComposer();
      if (!hadVisitor) return state.outbox.send(item);
      /* An existing visitor leaves an email: store it before the message that relies on it. */
      const s = liveSocket();
      if (!s) return state.outbox.send(item);
      s.emit("visitor:update", { email: profile.email }, () => state.outbox.send(item));
    },
    (err) => state.outbox.fail(item, failure(err)),
  );
}

/** Upload each file (creating the visitor first if need be), then send it as a message. */
async function sendFiles(files) {
  formError(null);
  for (const file of files.slice(0, 5)) {
    let attach = null;
    try {
      attach = await import("../shared/attachments.js");
      await ensureVisitor();
      const auth = { Authorization: "Bearer " + state.token };
      const bar = (f) => attach.progress(el.attachProgress, f);
      const attachment = await attach.upload("/api/widget/attachments", auth, file, bar);
      state.outbox.add({ body: "", attachment_ids: [attachment.id], attachments: [attachment] });
    } catch (err) {
      const known = { tooBig: "tooBig", notAllowed: "notAllowed", rateLimited: "rateLimited" };
      formError(tr(known[err.kind] || "uploadFailed"));
    } finally {
      if (attach) attach.progress(el.attachProgress, null);
    }
  }
}

function autosize() {
  el.chatInput.style.height = "auto";
  el.chatInput.style.height = Math.min(el.chatInput.scrollHeight + 2, 144) + "px";
}

function sendTyping(on) {
  const s = liveSocket();
  if (!s || !state.conversation || state.conversation.status !== "open") return;
  if (on === typingSent) return;
  typingSent = on;
  s.emit("typing", { typing: on }, () => {
    /* best effort */
  });
}

function onInput() {
  autosize();
  sendTyping(!!el.chatInput.value.trim());
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => sendTyping(false), 3000);
}

function rate(n) {
  const s = liveSocket();
  if (!s) return;
  s.emit("conversation:rate", { rating: n }, (ack) => {
    if (ack && ack.ok) setConversation(ack.conversation);
  });
}

function transcriptNote(text) {
  el.transcriptNote.textContent = text;
  el.transcriptNote.hidden = false;
}

/** "Email me this conversation" (a closed chat): to the known email, or one asked for here. */
function emailTranscript() {
  const s = liveSocket();
  const payload = {};
  if (!s) return;
  if (!state.emailKnown) {
    if (el.transcriptField.hidden) {
      el.transcriptField.hidden = false;
      el.transcriptAddress.focus();
      return;
    }
    payload.email = el.transcriptAddress.value.trim();
    if (!EMAIL_RE.test(payload.email)) return transcriptNote(tr("invalidEmail"));
  }
  s.emit("transcript:email", payload, (ack) => {
    if (ack && ack.ok) {
      el.transcriptField.hidden = true;
      transcriptNote(tr("transcriptSent", { email: payload.email || state.emailKnown }));
    } else {
      const limited = ack && ack.error && ack.error.code === "rate_limited";
      transcriptNote(tr(limited ? "transcriptLimited" : "error"));
    }
  });
}

/** Wire the composer's controls, the rating stars and the transcript button. */
export function initComposer() {
  el.chatInput.placeholder = tr("placeholder");
  for (let i = 1; i <= 5; i++) {
    const b = document.createElement("button");
    b.textContent = String(i);
    b.type = "button";
    b.setAttribute("aria-label", tr("star", { n: i }));
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => rate(i));
    el.stars.appendChild(b);
  }
  el.transcriptSend.addEventListener("click", emailTranscript);
  el.composer.addEventListener("submit", submit);
  el.chatInput.addEventListener("input", onInput);
  el.chatInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      el.composer.requestSubmit();
    }
  });
  bind({
    input: el.attachInput,
    dropTarget: el.panel,
    pasteTarget: el.chatInput,
    onFiles: sendFiles,
  });
}
