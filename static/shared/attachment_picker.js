/* Picking files: an <input type=file>, a drop zone and pasted screenshots, and the server's
 * limits for them. Small on purpose: the widget loads it up front, and attachments.js (upload
 * and display) only when a file is picked or shown. */

let limits = null;

/** {max_bytes, allowed_types, accept} from the server, fetched once. */
export function loadLimits() {
  if (!limits) {
    limits = fetch("/api/widget/attachments", { credentials: "omit" })
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({}));
  }
  return limits;
}

/** Files from a paste event (screenshots), or none. */
function pastedFiles(event) {
  const items = (event.clipboardData && event.clipboardData.items) || [];
  const files = [];
  for (const item of items) {
    if (item.kind !== "file") continue;
    const f = item.getAsFile();
    if (f) files.push(f.name ? f : new File([f], "screenshot.png", { type: f.type }));
  }
  return files;
}

/** Wire an <input type=file>, a drop zone and a paste target to onFiles(files). */
export function bind({ input, dropTarget, pasteTarget, onFiles }) {
  input.addEventListener("change", () => {
    const files = Array.from(input.files || []);
    input.value = "";
    if (files.length) onFiles(files);
  });
  if (dropTarget) {
    dropTarget.addEventListener("dragover", (e) => {
      if (e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files")) {
        e.preventDefault();
        dropTarget.classList.add("drop-active");
      }
    });
    dropTarget.addEventListener("dragleave", () => dropTarget.classList.remove("drop-active"));
    dropTarget.addEventListener("drop", (e) => {
      dropTarget.classList.remove("drop-active");
      const files = Array.from((e.dataTransfer && e.dataTransfer.files) || []);
      if (!files.length) return;
      e.preventDefault();
      onFiles(files);
    });
  }
  if (pasteTarget) {
    pasteTarget.addEventListener("paste", (e) => {
      const files = pastedFiles(e);
      if (!files.length) return;
      e.preventDefault();
      onFiles(files);
    });
  }
  // The file picker's filter comes from the server, asked only once someone reaches for the
  // button: a page view of a visitor who never attaches costs no request.
  const applyAccept = () => {
    loadLimits().then((info) => {
      if (info.accept) input.accept = info.accept;
    });
  };
  const once = { once: true, passive: true };
  for (const name of ["pointerenter", "focus", "touchstart"]) {
    ((input.labels && input.labels[0]) || input).addEventListener(name, applyAccept, once);
    input.addEventListener(name, applyAccept, once);
  }
}
