/* Small DOM and formatting helpers shared by every panel of the dashboard.
 *
 * Every piece of visitor or agent text goes in through textContent (never innerHTML), so
 * nothing a visitor types can become markup: `h` is the one way nodes with text are made. */

/** The element with this id (the template's ids are the dashboard's fixed points). */
export const $ = (id) => document.getElementById(id);

/** A new element with an optional class and text (set as text, never parsed as HTML). */
export function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function hashOf(text) {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}

/** The server names every visitor (a friendly name when they gave none). */
export function visitorName(visitor) {
  return visitor?.name || "Visitor";
}

function initials(name) {
  const parts = String(name || "?")
    .trim()
    .split(/\s+/);
  return (
    (parts[0] || "?")[0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")
  ).toUpperCase();
}

/** Initials on a colour picked from the visitor's id, so a visitor keeps one colour. */
export function avatar(node, visitor) {
  const name = visitorName(visitor);
  node.textContent = initials(name);
  node.dataset.hue = String(hashOf(visitor?.id || name) % 8);
}

export function parseTime(iso) {
  return iso ? new Date(iso) : null;
}

/** "now", "5m", "3h", "2d": how long ago, for the inbox. */
export function ago(iso) {
  const t = parseTime(iso);
  if (!t) return "";
  const seconds = Math.max(0, (Date.now() - t.getTime()) / 1000);
  if (seconds < 60) return "now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function clock(iso) {
  const t = parseTime(iso);
  return t ? t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}

export function fullTime(iso) {
  const t = parseTime(iso);
  return t ? t.toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "";
}

export function dayLabel(date) {
  const today = new Date();
  const yesterday = new Date(Date.now() - 86400000);
  if (date.toDateString() === today.toDateString()) return "Today";
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  return date.toLocaleDateString([], {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
  });
}

/** The time now in the visitor's time zone, or null when it is unknown or invalid. */
export function localTime(timezone) {
  if (!timezone) return null;
  try {
    const time = new Date().toLocaleTimeString([], {
      timeZone: timezone,
      hour: "2-digit",
      minute: "2-digit",
    });
    return `${time} (${timezone})`;
  } catch {
    return null;
  }
}

let alertTimer = null;

/** A refusal or failure, shown above the transcript for a few seconds. */
export function showAlert(text) {
  const alert = $("conv-alert");
  alert.textContent = text;
  alert.hidden = false;
  clearTimeout(alertTimer);
  alertTimer = setTimeout(hideAlert, 6000);
}

export function hideAlert() {
  $("conv-alert").hidden = true;
}
