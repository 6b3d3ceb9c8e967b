import assert from "node:assert/strict";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { EstFetch } from "../support/est_fetch.ts";
import { IdleConnections } from "../support/idle_connections.ts";
import { configDirWith, freePort } from "../support/server_process.ts";
import { scrape } from "../support/metrics.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-workers-" });

/** `total` enrollments at once, every one 200 and counted in the metrics the primary sums over its threads. */
async function enrollAllOk(srv: Awaited<ReturnType<typeof startTestServer>>, total: number): Promise<void> {
  const { csrDer } = await makeCsr(tmp, "/CN=alice");
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
}

Deno.test(
  "workers: listener threads share the port; one audit writer; metrics summed; reload reaches all",
  opts,
  async () => {
    const srv = await startTestServer({ server: { workers: 2 } });
    try {
      const total = 24;
      await enrollAllOk(srv, total);
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

Deno.test(
  "workers: a backend that cannot open stops the start and leaves no thread behind",
  opts,
  async () => {
    const dir = await configDirWith(
      freePort(),
      'workers = 2\nstate_dir = "/proc/version/state"',
      `[audit]\npath = "${join(tmp, "unused-audit.jsonl")}"\n[backend]\nclass = "local-ca"\n`,
    );
    const script = new URL("../support/failed_start.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", script, dir], stdout: "piped" })
      .output();
    const { failure, workerThreads } = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.match(failure, /version|directory|ENOTDIR|Not a directory|state/i);
    assert.equal(workerThreads, 0, "no thread left behind");
  },
);

Deno.test("workers: with no audit log the primary creates the listener threads itself", opts, async () => {
  const srv = await startTestServer({ server: { workers: 2 }, audit: { enabled: false } });
  try {
    const total = 16;
    await enrollAllOk(srv, total);
    assert.ok(await servedByPrimary(srv) < total, "the other thread took some");
    assert.equal(await srv.server.reload(), true);
  } finally {
    await srv.close();
  }
});

/** Requests the primary thread itself answered (the rest went to the other listener thread). */
async function servedByPrimary(srv: Awaited<ReturnType<typeof startTestServer>>): Promise<number> {
  const own = (await srv.server.metricsJson()) as { name: string; values: { value: number }[] }[];
  return own.find((m) => m.name === "est_requests_total")?.values.reduce((n, v) => n + v.value, 0) ?? 0;
}

Deno.test("workers: lockouts and request rates count across listener threads", opts, async () => {
  const lockout = await startTestServer({
    server: { workers: 2 },
    limits: { user_lockout_after: 4, lockout_seconds: 60, address_lockout_after: 1000, address_burst: 1000 },
  });
  const { csrDer } = await makeCsr(tmp, "/CN=alice");
  const enroll = (base: string, caPath: string, user: string) =>
    curl(`${base}/simpleenroll`, {
      cacert: caPath,
      user,
      headers: { "Content-Type": "application/pkcs10" },
      body: csrDer.toBase64(),
    }).then((r) => r.status);
  try {
    // One connection per request: the kernel spreads them over both threads.
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) {
      statuses.push(await enroll(lockout.base, lockout.caPath, `alice:wrong-${i}`));
    }
    assert.deepEqual(statuses, [...Array(4).fill(401), ...Array(12).fill(429)]);
    const primary = await servedByPrimary(lockout);
    assert.ok(primary > 0 && primary < 16, `the primary answered ${primary} of 16: both threads took part`);
  } finally {
    await lockout.close();
  }

  const rate = await startTestServer({
    server: { workers: 2 },
    limits: { principal_rate: 1, principal_burst: 3 },
  });
  try {
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 12 }, () => enroll(rate.base, rate.caPath, ALICE.user)),
    );
    const seconds = (performance.now() - started) / 1000;
    const issued = statuses.filter((s) => s === 200).length;
    assert.equal(issued + statuses.filter((s) => s === 429).length, 12);
    // A burst of 3, then one a second, whichever thread answered.
    assert.ok(
      issued >= 3 && issued <= 3 + Math.floor(seconds),
      `${issued} issued in ${seconds.toFixed(2)} s`,
    );
  } finally {
    await rate.close();
  }
});

Deno.test("workers: the per-address connection limit holds across listener threads", opts, async () => {
  const srv = await startTestServer({
    server: { workers: 2, max_connections_per_ip: 3, handshake_timeout: 10 },
  });
  const flood = new IdleConnections();
  try {
    assert.equal(await flood.open(srv.port, 20), 20);
    // Whichever thread each lands on, 3 are kept between both and the rest closed at accept.
    assert.equal(await flood.closedByServer(1500), 17);
    const key = 'est_connections_refused_total{reason="max_connections_per_ip"}';
    assert.equal((await scrape(srv.server.metricsPort!)).get(key), 17);
    flood.close();
    const other = new IdleConnections();
    try {
      // Closing them frees the places on every thread.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await other.open(srv.port, 3), 3);
      assert.equal(await other.closedByServer(500), 0);
    } finally {
      other.close();
    }
  } finally {
    flood.close();
    await srv.close();
  }
});

Deno.test(
  "workers: concurrent enrollments on both threads never pass the issuance quota together",
  opts,
  async () => {
    const srv = await startTestServer({ server: { workers: 2 }, limits: { issuance_quota: 3 } });
    const clients = await Promise.all(Array.from({ length: 24 }, () => EstFetch.open(srv)));
    try {
      const { csrDer } = await makeCsr(tmp, "/CN=alice");
      // Connect first, so that the enrollments arrive together, spread over both threads.
      for (const client of clients) assert.equal((await client.request("cacerts")).status, 200);
      const statuses = await Promise.all(
        clients.map((c) => c.enroll(csrDer, ALICE.user).then((r) => r.status)),
      );
      // Exactly the quota: a reservation becomes a count in the store at its commit, never both, never neither.
      assert.equal(statuses.filter((s) => s === 200).length, 3, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 429).length, 21);
      assert.equal((await clients[0].enroll(csrDer, ALICE.user)).status, 429);
      assert.equal(await srv.issuedCount(), 3 + 1, "3 certificates (and the server's own) in the store");
      const primary = await servedByPrimary(srv);
      assert.ok(primary > 0 && primary < 49, `the primary answered ${primary} of the requests`);
    } finally {
      for (const client of clients) client.close();
      await srv.close();
    }
  },
);
