import "reflect-metadata";
import assert from "node:assert/strict";
import type { Backend } from "../../src/backend/backend.ts";
import { createEstApp } from "../../src/est/app.ts";
import type { EstServices } from "../../src/est/services.ts";

Deno.test("readiness: concurrent /ready requests share one check of the dependencies", async () => {
  let probes = 0;
  let healthy = true;
  const backend = {
    caCerts: () => Promise.resolve([]),
    health: async () => {
      probes++;
      await new Promise((r) => setTimeout(r, 100));
      return healthy ? { ok: true } : { ok: false, detail: "down" };
    },
    close: () => Promise.resolve(),
  } as unknown as Backend;
  const app = createEstApp(
    { backend, settings: { errorStyle: "standard", version: "t" } } as unknown as EstServices,
  );
  const answers = await Promise.all(Array.from({ length: 20 }, () => app.request("/ready")));
  assert.deepEqual(new Set(answers.map((r) => r.status)), new Set([200]));
  assert.equal(probes, 1, "one probe for twenty requests");
  healthy = false;
  assert.equal((await app.request("/ready")).status, 503, "the next request checks afresh");
  assert.equal(probes, 2);
});
