import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSettings } from "../../src/config/boundary.ts";
import { startServer } from "../../src/server.ts";
import type { LocalCaBackend } from "../../src/backend/local_ca/local_ca_backend.ts";
import { EstFetch } from "../support/est_fetch.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE, startTestServer, type TestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";

/**
 * Rate limits, lockout, issuance quotas and the audit summary, over real TLS:
 * each limit answers 429 with Retry-After, nothing is issued past it, the
 * audit log does not grow per failed request, and the server keeps serving.
 */

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-limits-" });
const csr = (await makeCsr(tmp, "/CN=alice")).csrDer;

/** Certificates issued to clients (the store also holds the server's own TLS certificate). */
async function issued(srv: TestServer): Promise<number> {
  return (await srv.issuedCount()) - 1;
}

async function refusals(srv: TestServer): Promise<Record<string, number>> {
  const metrics = await srv.server.metricsJson() as {
    name: string;
    values: { labels: { limit?: string }; value: number }[];
  }[];
  const found = metrics.find((m) => m.name === "est_limit_refusals_total")?.values ?? [];
  return Object.fromEntries(found.map((v) => [v.labels.limit, v.value]));
}

function assertRetryAfter(headers: Headers, max: number): void {
  const retryAfter = Number(headers.get("retry-after"));
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= max,
    `Retry-After ${retryAfter}`,
  );
}

Deno.test(
  "limits: 1,000 wrong passwords lock the user out (429), the audit log gets a summary",
  opts,
  async () => {
    const srv = await startTestServer({
      limits: {
        user_lockout_after: 5,
        address_lockout_after: 200,
        address_burst: 2000,
        audit_summary_interval: 1,
      },
    });
    const client = await EstFetch.open(srv);
    try {
      const started = performance.now();
      const rssBefore = Deno.memoryUsage().rss;
      const statuses = new Map<number, number>();
      let firstLocked: Headers | undefined;
      for (let i = 0; i < 1000; i++) {
        const res = await client.enroll(csr, `${ALICE.username}:wrong-${i}`);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 429) firstLocked ??= res.headers;
      }
      const rssGrowth = (Deno.memoryUsage().rss - rssBefore) / 2 ** 20;
      console.log(
        `1000 wrong passwords: ${JSON.stringify(Object.fromEntries(statuses))}, RSS +${
          rssGrowth.toFixed(1)
        } MiB`,
      );
      // Five refusals lock the user for 1 s; each refusal after a lockout ends doubles it.
      const refusedPasswords = statuses.get(401)!;
      assert.ok(
        refusedPasswords >= 5 && refusedPasswords <= 12,
        `${refusedPasswords} passwords were checked`,
      );
      assert.equal(statuses.get(429), 1000 - refusedPasswords);
      assertRetryAfter(firstLocked!, 900);
      // A gross leak check only (the test client shares the process, and GC timing moves RSS by tens of
      // MiB); the limits' own state is bounded by tracked_keys, as the unit tests show.
      assert.ok(rssGrowth < 200, `RSS grew ${rssGrowth} MiB`);
      const locked = await client.enroll(csr, ALICE.user);
      assert.equal(locked.status, 429, "while locked, the right password is not even checked");
      assert.match(locked.text, /Too many failed authentications/);
      const cacerts = await client.request("cacerts");
      assert.equal(cacerts.status, 200, "the server keeps serving");
      assert.equal(await issued(srv), 0);
      const counted = await refusals(srv);
      assert.ok(counted.user_lockout >= 988, JSON.stringify(counted));

      await new Promise((resolve) => setTimeout(resolve, 1500));
      const lines = (await Deno.readTextFile(join(srv.dir, "state", "audit.jsonl"))).trimEnd().split("\n")
        .map((l) => JSON.parse(l));
      const seconds = (performance.now() - started) / 1000;
      assert.ok(lines.length <= seconds + 2, `${lines.length} audit lines for 1001 failures in ${seconds} s`);
      assert.ok(lines.every((l) => l.outcome === "auth-failure-summary"));
      assert.equal(lines.reduce((n, l) => n + l.total, 0), 1001);
    } finally {
      client.close();
      await srv.close();
    }
  },
);

Deno.test("limits: failures from one address lock the address, whatever the user names", opts, async () => {
  const srv = await startTestServer({ limits: { address_lockout_after: 10, lockout_seconds: 30 } });
  const client = await EstFetch.open(srv);
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await client.enroll(csr, `user${i}:x`)).status);
    assert.deepEqual(statuses, [...Array(10).fill(401), ...Array(5).fill(429)]);
    const res = await client.enroll(csr, ALICE.user);
    assert.equal(res.status, 429);
    assert.match(res.text, /from this address/);
    assertRetryAfter(res.headers, 60);
    assert.equal(await issued(srv), 0);
    assert.ok((await refusals(srv)).address_lockout >= 6);
  } finally {
    client.close();
    await srv.close();
  }
});

Deno.test(
  "limits: per-address and per-principal request rates answer 429 with Retry-After",
  opts,
  async () => {
    const srv = await startTestServer({
      limits: { address_rate: 1, address_burst: 10, principal_rate: 1, principal_burst: 3 },
    });
    const client = await EstFetch.open(srv);
    try {
      const enrolls = [];
      for (let i = 0; i < 5; i++) enrolls.push(await client.enroll(csr, ALICE.user));
      assert.deepEqual(enrolls.map((r) => r.status), [200, 200, 200, 429, 429]);
      assert.match(enrolls[3].text, /Too many requests for this user/);
      assertRetryAfter(enrolls[3].headers, 2);
      assert.equal(await issued(srv), 3);
      const rest = [];
      for (let i = 0; i < 10; i++) rest.push(await client.request("cacerts"));
      assert.ok(rest.some((r) => r.status === 200));
      const limited = rest.find((r) => r.status === 429);
      assert.ok(limited, "the address runs out of its burst of 10");
      assert.match(limited.text, /Too many requests from this address/);
      assertRetryAfter(limited.headers, 2);
      const counted = await refusals(srv);
      assert.ok(counted.principal_rate === 2 && counted.address_rate >= 1, JSON.stringify(counted));
    } finally {
      client.close();
      await srv.close();
    }
  },
);

Deno.test("limits: the issuance quota (server-wide and per label) holds across a restart", opts, async () => {
  const srv = await startTestServer({
    limits: { issuance_quota: 3 },
    labels: { iot: { issuance_quota: 1 } },
  });
  const client = await EstFetch.open(srv);
  let restarted: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await client.enroll(csr, ALICE.user)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const over = await client.enroll(csr, ALICE.user);
    assert.match(over.text, /^Issuance quota of 3 certificates per 3600 seconds reached/);
    assertRetryAfter(over.headers, 3600);
    assert.deepEqual([
      (await client.enroll(csr, ALICE.user, "iot")).status,
      (await client.enroll(csr, ALICE.user, "iot")).status,
    ], [200, 429]);
    assert.equal(await issued(srv), 4);
    assert.ok((await refusals(srv)).issuance_quota >= 4);

    await srv.server.close();
    restarted = await startServer(await loadSettings(srv.dir));
    const again = await EstFetch.open({
      ...srv,
      base: `https://127.0.0.1:${restarted.port}/.well-known/est`,
    });
    try {
      assert.equal(
        (await again.enroll(csr, ALICE.user)).status,
        429,
        "the quota is counted from the issued store",
      );
    } finally {
      again.close();
    }
    assert.equal((await (restarted.backend as LocalCaBackend).issuedCount()) - 1, 4);
  } finally {
    client.close();
    await restarted?.close();
    await Deno.remove(srv.dir, { recursive: true });
  }
});

Deno.test("limits: [limits] enabled = false turns them off", opts, async () => {
  const srv = await startTestServer({ limits: { enabled: false, user_lockout_after: 1 } });
  const client = await EstFetch.open(srv);
  try {
    for (let i = 0; i < 3; i++) assert.equal((await client.enroll(csr, "alice:wrong")).status, 401);
    assert.equal((await client.enroll(csr, ALICE.user)).status, 200);
  } finally {
    client.close();
    await srv.close();
  }
});
