// Widget settings: add, remove and reorder social links, keep the colour picker and text field
// in step, and a live preview of the panel. User text is only ever set with textContent.
(function () {
  "use strict";
  const form = document.getElementById("settings-form");
  if (!form) return;
  const rows = document.getElementById("social-rows");

  function blankRow() {
    const template = rows.lastElementChild.cloneNode(true);
    template.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
    template.querySelectorAll(".field-error").forEach(function (el) {
      el.remove();
    });
    return template;
  }

  document.getElementById("add-social").addEventListener("click", function () {
    const row = blankRow();
    rows.appendChild(row);
    row.querySelector("input").focus();
    update();
  });

  rows.addEventListener("click", function (event) {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("li");
    if (button.hasAttribute("data-remove")) {
      if (rows.children.length === 1) rows.appendChild(blankRow());
      row.remove();
    } else if (button.getAttribute("data-move") === "-1" && row.previousElementSibling) {
      rows.insertBefore(row, row.previousElementSibling);
      button.focus();
    } else if (button.getAttribute("data-move") === "1" && row.nextElementSibling) {
      rows.insertBefore(row.nextElementSibling, row);
      button.focus();
    }
    update();
  });

  const picker = document.getElementById("brand-color-picker");
  const colour = document.getElementById("brand-color");
  picker.addEventListener("input", function () {
    colour.value = picker.value;
    update();
  });
  colour.addEventListener("input", function () {
    if (/^#[0-9a-fA-F]{6}$/.test(colour.value)) picker.value = colour.value.toLowerCase();
  });

  function field(name) {
    return form.elements[name] ? form.elements[name].value : "";
  }

  // Text on the brand colour: white or near-black, whichever reads better (WCAG contrast).
  function luminance(hex) {
    const rgb = [1, 3, 5].map(function (i) {
      const c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  }

  function update() {
    const set = function (id, text) {
      document.getElementById(id).textContent = text;
    };
    set("pv-brand-name", field("brand_name"));
    set("pv-brand-tagline", field("brand_tagline"));
    set("pv-intro", field("contact_intro"));
    set("pv-phone", field("contact_phone"));
    set("pv-email", field("contact_email"));
    set("pv-greeting", field("chat_greeting"));
    const list = document.getElementById("pv-socials");
    list.replaceChildren();
    rows.querySelectorAll("li").forEach(function (row) {
      const inputs = row.querySelectorAll("input");
      const text = inputs[2].value || inputs[0].value;
      if (!inputs[1].value && !text) return;
      const item = document.createElement("li");
      item.textContent = text || inputs[1].value;
      list.appendChild(item);
    });
    const hex = field("brand_color");
    if (/^#[0-9a-fA-F]{6}$/.test(hex)) {
      const ink = 1.05 / (luminance(hex) + 0.05) >= 4.5 ? "#ffffff" : "#1d2330";
      ["preview-head", "pv-start"].forEach(function (id) {
        const el = document.getElementById(id);
        el.style.backgroundColor = hex;
        el.style.color = ink;
      });
    }
  }

  form.addEventListener("input", update);
  update();
})();
