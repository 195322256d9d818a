/* The visitor: what the host page told us about them (identify), their creation on the server
 * (only with their first message or file, never on a page view), and where their token lives:
 * the frame's localStorage (partitioned per embedding site by browsers); where a cross-site
 * frame is denied it, a partitioned cookie (https only); failing both, one key in the host
 * page's localStorage through the loader, and this page view's sessionStorage. */

import { toHost } from "./host.js";
import { tr } from "./i18n.js";
import { state } from "./state.js";

export const KEY = "support-widget:token";
const COOKIE = "support_vt";
const COOKIE_ATTRS = "Path=/widget; SameSite=None; Secure; Partitioned";

export function readToken() {
  try {
    const v = localStorage.getItem(KEY);
    if (v) return v;
  } catch {
    /* denied */
  }
  const m = document.cookie.match(new RegExp(`(?:^|; )${COOKIE}=([^;]+)`));
  if (m) return decodeURIComponent(m[1]);
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function writeToken(token) {
  try {
    localStorage.setItem(KEY, token);
    if (localStorage.getItem(KEY) === token) return;
  } catch {
    /* denied */
  }
  if (location.protocol === "https:") {
    document.cookie = `${COOKIE}=${encodeURIComponent(token)}; Max-Age=31536000; ${COOKIE_ATTRS}`;
    if (document.cookie.includes(`${COOKIE}=`)) return;
  }
  toHost({ type: "store", token });
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    /* memory only */
  }
}

export function clearToken() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    /* denied */
  }
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* denied */
  }
  document.cookie = `${COOKIE}=; Max-Age=0; ${COOKIE_ATTRS}`;
  toHost({ type: "store", token: null });
}

/** name, email and hash from the host page's identify(), or null when it gave none. */
export function identityPayload() {
  const who = {};
  for (const k of ["name", "email", "hash"]) if (state.identity[k]) who[k] = state.identity[k];
  return Object.keys(who).length ? who : null;
}

/** The visitor's IANA time zone, so agents can see the visitor's local time. */
function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

/** POST /api/widget/visitors; resolves to the new visitor's token, rejects with a message the
 * visitor can read. */
export async function createVisitor(profile) {
  const body = {
    locale: navigator.language || undefined,
    timezone: browserTimeZone(),
    ...state.page,
    ...(identityPayload() || {}),
    ...(profile || {}),
  };
  const r = await fetch("/api/widget/visitors", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await r.json();
  if (r.status !== 201) throw new Error(r.status === 429 ? tr("rateLimited") : tr("error"));
  return data.token;
}

/** A link from one of our mails, exchanged for the visitor's token (null if it expired). */
export async function tokenFromLink(link) {
  const r = await fetch("/api/widget/resume", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: link }),
  });
  const data = r.ok ? await r.json() : null;
  return data && typeof data.token === "string" ? data.token : null;
}
