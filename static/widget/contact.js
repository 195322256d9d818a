/* The contact panel and the widget config it shows (PROTOCOL.md §3): brand colours, phone,
 * email, social links and business hours. The config is fetched while no socket tells us, and
 * pushed by the server on the socket once there is one (config:updated). */

import { el, node, outLink, safeUrl, svgIcon } from "./dom.js";
import { toHost } from "./host.js";
import { lang, tr } from "./i18n.js";
import { state } from "./state.js";
import { renderStatus } from "./status.js";

const NETWORKS = [
  "facebook",
  "x",
  "linkedin",
  "instagram",
  "youtube",
  "whatsapp",
  "tiktok",
  "github",
  "telegram",
];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FULL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

function luminance(hex) {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
  if (!m) return 0.1;
  const n = parseInt(m[1], 16);
  const [r, g, b] = [n >> 16, (n >> 8) & 255, n & 255].map((v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** White or black text on the brand colour, whichever contrasts more: always at least 4.5:1. */
function onBrand(hex) {
  const l = luminance(hex);
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#ffffff" : "#000000";
}

function renderContact(contact) {
  el.phoneItem.hidden = !contact.phone;
  if (contact.phone) {
    el.phone.href = "tel:" + String(contact.phone).replace(/[^\d+]/g, "");
    el.phoneText.textContent = contact.phone;
  }
  el.emailItem.hidden = !contact.email;
  if (contact.email) {
    el.email.href = "mailto:" + contact.email;
    el.emailText.textContent = contact.email;
  }
  el.socials.replaceChildren();
  for (const s of contact.socials || []) {
    const href = safeUrl(s && s.url);
    if (!href) continue;
    const network = s.network === "twitter" ? "x" : String(s.network || "").toLowerCase();
    const a = outLink(href);
    a.setAttribute("data-testid", "social-link");
    a.setAttribute("data-network", network);
    a.setAttribute("aria-label", tr("follow", { label: s.label || s.network || href }));
    a.title = s.label || s.network || "";
    a.appendChild(svgIcon(NETWORKS.includes(network) ? network : "link"));
    const li = node("li");
    li.appendChild(a);
    el.socials.appendChild(li);
  }
  el.socials.hidden = !el.socials.children.length;
}

/** One day's hours as text, from the shapes admins have used ("9-17", ["09:00", "17:00"],
 * {open, close}, a list of spans). */
function spanText(v) {
  if (!v) return "";
  if (typeof v === "string") return v.replace(/\s*-\s*/, "–");
  if (Array.isArray(v)) {
    if (v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string") {
      return v[0] + "–" + v[1];
    }
    return v.map(spanText).filter(Boolean).join(", ");
  }
  if (typeof v === "object" && !v.closed && v.enabled !== false) {
    const a = v.open || v.start || v.from;
    const b = v.close || v.end || v.to;
    return a && b ? a + "–" + b : "";
  }
  return "";
}

function renderHours(hours) {
  el.hoursList.replaceChildren();
  el.hours.hidden = !(hours && hours.enabled);
  if (el.hours.hidden) return;
  const days = hours.days || {};
  const names = new Intl.DateTimeFormat(lang, { weekday: "long", timeZone: "UTC" });
  DAYS.forEach((key, i) => {
    const value = days[key] || days[FULL_DAYS[i]] || days[String(i)];
    el.hoursList.appendChild(node("dt", null, names.format(new Date(Date.UTC(2024, 0, 1 + i)))));
    el.hoursList.appendChild(node("dd", null, spanText(value) || tr("closedDay")));
  });
  if (hours.timezone) el.hoursList.appendChild(node("dd", "tz", "(" + hours.timezone + ")"));
}

/** The config, or null. The HTTP cache keeps it for seconds and then revalidates it (ETag). */
export function fetchConfig() {
  return fetch("/api/widget/config")
    .then((r) => r.json())
    .catch(() => null);
}

/** Fetch the config and show it (on failure, what is shown stays). */
export function loadConfig() {
  return fetchConfig().then(applyConfig);
}

export function applyConfig(c) {
  if (!c || !c.brand) return;
  state.config = c;
  if (c.chat && typeof c.chat.online === "boolean") state.online = c.chat.online;
  const brand = c.brand;
  const contact = c.contact || {};
  const color = /^#[0-9a-f]{6}$/i.test(brand.color || "") ? brand.color : "#1f6feb";
  document.documentElement.style.setProperty("--brand", color);
  document.documentElement.style.setProperty("--on-brand", onBrand(color));
  el.brandName.textContent = brand.name || "";
  el.brandTagline.textContent = brand.tagline || "";
  document.title = tr("dialog", { brand: brand.name || "" });
  el.intro.textContent = contact.intro || "";
  el.intro.hidden = !contact.intro;
  renderContact(contact);
  renderHours(c.hours);
  el.greetingText.textContent = (c.chat && c.chat.greeting) || "";
  el.greeting.hidden = !(c.chat && c.chat.greeting);
  renderStatus();
  const position = (c.layout && c.layout.position) || "right";
  toHost({ type: "config", color, position, title: document.title });
}
