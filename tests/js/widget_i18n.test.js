import assert from "node:assert/strict";
import { test } from "node:test";

import { LANGUAGES } from "../../static/widget/i18n.js";

test("every widget language has exactly the English keys, and each text is a string", async () => {
  const english = Object.keys((await LANGUAGES.en()).default).sort();
  assert.ok(english.length > 40);
  for (const code of Object.keys(LANGUAGES)) {
    const texts = (await LANGUAGES[code]()).default;
    assert.deepEqual(Object.keys(texts).sort(), english, code);
    for (const [key, text] of Object.entries(texts)) {
      assert.equal(typeof text, "string", `${code}.${key}`);
      const placeholders = (s) => (s.match(/\{\w+\}/g) || []).sort();
      assert.deepEqual(placeholders(text), placeholders((await LANGUAGES.en()).default[key]));
    }
  }
});
