/* The host page: it named its origin in the frame's URL; messages go only there and are taken
 * only from there (and only when the frame really is embedded by that origin). */

let origin = new URLSearchParams(location.search).get("origin");
const ancestors = location.ancestorOrigins;
if (window.parent === window || (ancestors && ancestors.length && ancestors[0] !== origin)) {
  origin = null;
}
export const hostOrigin = origin;

/** Post `msg` to the loader on the host page. */
export function toHost(msg) {
  if (!hostOrigin) return;
  window.parent.postMessage({ ...msg, source: "support-frame" }, hostOrigin);
}

/** Whether a `message` event comes from the loader. */
export function fromHost(e) {
  return (
    !!hostOrigin &&
    e.origin === hostOrigin &&
    e.source === window.parent &&
    !!e.data &&
    e.data.source === "support-widget"
  );
}
