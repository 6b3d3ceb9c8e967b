import assert from "node:assert/strict";
import { retryAfterSeconds } from "../../src/client/retry.ts";

const NOW = new Date("2026-12-01T12:00:00Z");

Deno.test("Retry-After: delay-seconds and HTTP-dates; anything else is unusable", () => {
  assert.equal(retryAfterSeconds("120", NOW), 120);
  assert.equal(retryAfterSeconds(" 0 ", NOW), 0);
  assert.equal(retryAfterSeconds("Tue, 01 Dec 2026 12:00:30 GMT", NOW), 30);
  assert.equal(retryAfterSeconds("Tue, 01 Dec 2026 11:00:00 GMT", NOW), 0, "a past date means now");
  for (const bad of [undefined, "", "-5", "1.5", "soon", "12345678901", "2026-13-45"]) {
    assert.equal(retryAfterSeconds(bad, NOW), undefined, String(bad));
  }
});
