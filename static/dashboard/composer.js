/* The composer: replies and private notes, drafts, "typing" for the visitor, attachments. */
import { bind, progress, upload } from "../shared/attachments.js";
import { $, showAlert } from "./dom.js";
import { cannedKey, cannedOpen, hideCanned, updateCanned } from "./canned.js";
import { call, queueMessage } from "./connection.js";
import { state } from "./state.js";
import { drafts } from "./storage.js";
import { renderTranscript } from "./transcript.js";

const el = {
  composer: $("composer"),
  input: $("reply-input"),
  send: $("reply-send"),
  noteToggle: $("note-toggle"),
  attachInput: $("attach-input"),
  progress: $("attach-progress"),
};

const TYPING_IDLE = 3000; // "stopped typing" after this long without a key

let typingSent = false;
let typingTimer = null;

function isOpen() {
  return !!(state.openId && state.conv && state.conv.status === "open");
}

/** Enabled while the conversation is open; the placeholder says what Send will do. */
export function renderComposer() {
  const conv = state.conv;
  if (!conv) return;
  const open = conv.status === "open";
  el.input.disabled = !open;
  el.send.disabled = !open;
  el.noteToggle.disabled = !open;
  el.input.placeholder = open
    ? state.noteMode
      ? "Private note: only agents see it…"
      : "Reply to the visitor…"
    : "This conversation is closed. Reopen it to reply.";
}

function renderNoteToggle() {
  el.noteToggle.setAttribute("aria-pressed", state.noteMode ? "true" : "false");
  el.composer.classList.toggle("composer--note", state.noteMode);
  el.send.textContent = state.noteMode ? "Add note" : "Send";
  renderComposer();
}

/** Another conversation was opened: its draft, reply mode, no canned menu. */
export function resetComposer(conversationId) {
  state.noteMode = false;
  el.input.value = drafts.load(conversationId);
  renderNoteToggle();
  hideCanned();
}

/** Put the cursor in the composer, if a reply can be written now. */
export function focusComposer() {
  if (!el.input.disabled && state.openId) el.input.focus();
}

/** The composer takes the focus after a conversation was picked, ready to answer. */
export function focusComposerIfOpen() {
  if (isOpen()) el.input.focus();
}

function submitReply() {
  const body = el.input.value;
  if (!body.trim() || body.trim() === "/") return; // a lone "/" only opens the canned menu
  if (!isOpen()) return;
  const note = state.noteMode;
  el.input.value = "";
  drafts.save(state.openId, "");
  stopTyping();
  if (state.noteMode) {
    state.noteMode = false;
    renderNoteToggle();
  }
  queueMessage(state.openId, { body, private: note });
  renderTranscript(true);
}

const UPLOAD_REFUSED = {
  tooBig: "is too big",
  notAllowed: "is not an allowed type of file",
  rateLimited: "was refused: too many uploads",
};

/** Upload each file (five at most, one after the other), then send it to the open
 * conversation (as a note in note mode). */
function sendFiles(files) {
  const csrf = document.querySelector('input[name="csrf_token"]');
  const headers = csrf ? { "X-CSRFToken": csrf.value } : {};
  const showProgress = (fraction) => progress(el.progress, fraction);
  files.slice(0, 5).reduce(
    (previous, file) =>
      previous
        .then(() => {
          if (!isOpen()) return null;
          const conversationId = state.openId;
          const note = state.noteMode;
          return upload("/api/v1/attachments", headers, file, showProgress).then(
            (attachment) => {
              queueMessage(conversationId, {
                private: note,
                attachment_ids: [attachment.id],
                attachments: [attachment],
              });
              renderTranscript(true);
            },
            (err) => {
              showAlert(`${file.name} ${UPLOAD_REFUSED[err.kind] || "could not be uploaded"}`);
            },
          );
        })
        .finally(() => showProgress(null)),
    Promise.resolve(),
  );
}

function stopTyping() {
  clearTimeout(typingTimer);
  if (typingSent && state.openId) {
    call("typing", { conversation_id: state.openId, typing: false });
  }
  typingSent = false;
}

function onInput() {
  if (state.openId) drafts.save(state.openId, el.input.value);
  updateCanned();
  if (!state.openId || state.noteMode) return;
  if (!typingSent && el.input.value.trim()) {
    typingSent = true;
    call("typing", { conversation_id: state.openId, typing: true });
  }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, TYPING_IDLE);
}

function onKeydown(event) {
  if (cannedOpen() && cannedKey(event)) return;
  if (event.key === "Escape" && cannedOpen()) {
    hideCanned();
    return;
  }
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submitReply();
  }
}

export function initComposer() {
  el.noteToggle.addEventListener("click", () => {
    state.noteMode = !state.noteMode;
    renderNoteToggle();
    el.input.focus();
  });
  el.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    submitReply();
  });
  el.input.addEventListener("input", onInput);
  el.input.addEventListener("keydown", onKeydown);
  bind({
    input: el.attachInput,
    dropTarget: el.composer,
    pasteTarget: el.input,
    onFiles: sendFiles,
  });
}
