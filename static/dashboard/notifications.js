/* Getting the agent's attention: a chime, a desktop notification, the unread total in the
 * tab's title. Away means no chime and no notifications. */
import { $ } from "./dom.js";
import { isMine, state } from "./state.js";

const BASE_TITLE = "Inbox · Support";

let audio = null;
let openConversation = () => {};

/** Browsers start audio only after a gesture: the first click or key press unlocks it. */
function unlockAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (audio || !Context) return;
  audio = new Context();
}

function chime() {
  if (!audio || audio.state !== "running") return;
  const now = audio.currentTime;
  [880, 1320].forEach((frequency, i) => {
    const start = now + i * 0.12;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.12, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start(start);
    osc.stop(start + 0.3);
  });
}

/** Chime, and notify the desktop unless the page is in front; a click opens the conversation. */
export function attention(title, body, conversationId) {
  if (state.myStatus === "away") return;
  chime();
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  const note = new Notification(title, {
    body: String(body || "").slice(0, 140),
    tag: conversationId,
  });
  note.onclick = () => {
    window.focus();
    openConversation(conversationId);
    note.close();
  };
}

/** "(3) Inbox · Support": unread messages in the open conversations this agent answers. */
export function updateTitle() {
  let total = 0;
  state.known.forEach((conv) => {
    if (conv.status === "open" && (!conv.assignee || isMine(conv))) total += conv.unread || 0;
  });
  document.title = total > 0 ? `(${total}) ${BASE_TITLE}` : BASE_TITLE;
}

/** Unlock audio on the first gesture and offer the notification permission.
 * ``open(conversationId)`` is what a click on a desktop notification does. */
export function initNotifications(open) {
  openConversation = open;
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });
  const button = $("enable-notifications");
  if ("Notification" in window && Notification.permission === "default" && button) {
    button.hidden = false;
    button.addEventListener("click", () => {
      Notification.requestPermission().then(() => {
        button.hidden = true;
      });
    });
  }
}
