/* The widget's interface texts. The frame picks the first language of navigator.languages that
 * is listed here and falls back to English; Arabic switches the panel to right-to-left.
 * Each language is a module of its own under i18n/, and a visitor fetches only theirs
 * (loadLanguage, while the config is being fetched, before the frame draws anything).
 * Contact texts (brand, intro, greeting) come from the admin's settings, not from here. */

const RTL = ["ar", "he", "fa", "ur"];

/* Static specifiers, so that the static build fingerprints them like any import. */
export const LANGUAGES = {
  en: () => import("./i18n/en.js"),
  fr: () => import("./i18n/fr.js"),
  es: () => import("./i18n/es.js"),
  ar: () => import("./i18n/ar.js"),
};

let texts = {};

/** The visitor's language, of those listed here ("en" until loadLanguage is done). */
export let lang = "en";
export let dir = "ltr";

function pick() {
  const wanted =
    navigator.languages && navigator.languages.length
      ? navigator.languages
      : [navigator.language || "en"];
  for (const tag of wanted) {
    const code = String(tag).slice(0, 2).toLowerCase();
    if (LANGUAGES[code]) return code;
  }
  return "en";
}

/** Fetch the texts of the visitor's language; English if that fails (keys if all fails). */
export async function loadLanguage() {
  for (const code of new Set([pick(), "en"])) {
    try {
      texts = (await LANGUAGES[code]()).default;
      lang = code;
      dir = RTL.includes(code) ? "rtl" : "ltr";
      return;
    } catch {
      /* the next one */
    }
  }
}

/** The text for `key` in the visitor's language, with `{name}` placeholders filled from `vars`. */
export function tr(key, vars) {
  const text = texts[key] || key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (vars && k in vars ? String(vars[k]) : m));
}

/** A time of day in the visitor's language (now when `iso` is empty). */
export function timeOf(iso) {
  const d = iso ? new Date(iso) : new Date();
  return d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}
