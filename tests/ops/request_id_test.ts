import assert from "node:assert/strict";
import { requestIdFrom } from "../../src/ops/request_id.ts";

Deno.test("request id: safe incoming IDs are kept; others replaced with a UUID", () => {
  assert.equal(requestIdFrom("abc-123_x.y:z"), "abc-123_x.y:z");
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  for (const bad of [undefined, "", "x".repeat(129), "has space", "new\nline", "<script>", "ünï"]) {
    assert.match(requestIdFrom(bad), uuid, String(bad));
  }
  assert.equal(requestIdFrom("x".repeat(128)).length, 128);
});
