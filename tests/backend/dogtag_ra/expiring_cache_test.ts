import assert from "node:assert/strict";
import { ExpiringCache } from "../../../src/backend/dogtag_ra/expiring_cache.ts";

Deno.test("expiring cache: kept for the TTL, shared while loading, failures not kept", async () => {
  let now = 0;
  const cache = new ExpiringCache<string>(1000, 2, () => now);
  let loads = 0;
  const load = () => Promise.resolve(`v${++loads}`);
  const [a, b] = await Promise.all([cache.get("k", load), cache.get("k", load)]);
  assert.deepEqual([a, b, loads], ["v1", "v1", 1]);
  now = 999;
  assert.equal(await cache.get("k", load), "v1");
  now = 1000;
  assert.equal(await cache.get("k", load), "v2");

  await assert.rejects(cache.get("bad", () => Promise.reject(new Error("down"))), /down/);
  assert.equal(await cache.get("bad", () => Promise.resolve("up")), "up", "a failure is not kept");

  await cache.get("x", load);
  await cache.get("y", load);
  const before = loads;
  assert.equal(await cache.get("k", load), `v${before + 1}`, "the oldest key was dropped beyond maxEntries");
  cache.clear();
  assert.equal(await cache.get("y", load), `v${before + 2}`);
});
