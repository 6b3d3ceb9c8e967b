import assert from "node:assert/strict";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { scrape } from "../support/metrics.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-workers-" });

Deno.test(
  "workers: listener threads share the port; one audit writer; metrics summed; reload reaches all",
  opts,
  async () => {
    const srv = await startTestServer({ server: { workers: 2 } });
    try {
      const { csrDer } = await makeCsr(tmp, "/CN=alice");
      const total = 24;
      const statuses = await Promise.all(
        Array.from({ length: total }, () =>
          curl(`${srv.base}/simpleenroll`, {
            cacert: srv.caPath,
            user: ALICE.user,
            headers: { "Content-Type": "application/pkcs10" },
            body: csrDer.toBase64(),
          }).then((r) => r.status)),
      );
      assert.deepEqual(statuses, Array(total).fill(200));
      const key = 'est_requests_total{operation="simpleenroll",label="",status="200"}';
      assert.equal((await scrape(srv.server.metricsPort!)).get(key), total, "all threads counted");
      const own = (await srv.server.metricsJson()) as { name: string; values: { value: number }[] }[];
      const mine = own.find((m) =>
        m.name === "est_requests_total"
      )?.values.reduce((n, v) => n + v.value, 0) ?? 0;
      assert.ok(mine < total, `the primary served ${mine} of ${total}: the other thread took some`);
      const audit = (await Deno.readTextFile(join(srv.dir, "state", "audit.jsonl"))).trimEnd().split("\n");
      assert.equal(audit.length, total);
      assert.ok(audit.every((line) => JSON.parse(line).outcome === "issued"));
      assert.equal(
        await srv.issuedCount(),
        total + 1,
        "the store is shared (plus the server's own certificate)",
      );
      assert.equal(await srv.server.reload(), true);
    } finally {
      await srv.close();
    }
  },
);

Deno.test(
  "workers: a record the audit writer thread cannot write withholds the certificate (503) on every thread",
  opts,
  async () => {
    const srv = await startTestServer({ server: { workers: 2 }, audit: { path: "/dev/full" } });
    try {
      const { csrDer } = await makeCsr(tmp, "/CN=alice");
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          curl(`${srv.base}/simpleenroll`, {
            cacert: srv.caPath,
            user: ALICE.user,
            headers: { "Content-Type": "application/pkcs10" },
            body: csrDer.toBase64(),
          })),
      );
      for (const res of answers) {
        assert.equal(res.status, 503);
        assert.equal(res.text, "The audit log cannot be written; the certificate is withheld\n");
      }
    } finally {
      await srv.close();
    }
  },
);

Deno.test("workers: an audit log that cannot be opened stops the start", opts, async () => {
  await assert.rejects(
    startTestServer({ server: { workers: 2 }, audit: { path: "/proc/version/audit.jsonl" } }),
    /audit|version|directory|ENOTDIR|Not a directory/i,
  );
});
