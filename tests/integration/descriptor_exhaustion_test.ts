import assert from "node:assert/strict";
import { curl } from "../support/curl.ts";
import { IdleConnections, residentKib } from "../support/idle_connections.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE } from "../support/server.ts";
import { configDirWith, freePort, spawnServer } from "../support/server_process.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-descriptors-" });
const REALM = `[realm]\nclass = "in-memory"\nusername = "alice"\npassword = "4me2Test"\n`;

Deno.test(
  "descriptors: idle connections beyond RLIMIT_NOFILE, then closed: the server accepts and enrolls again",
  opts,
  async () => {
    const port = freePort();
    // max_connections above what 256 descriptors hold: the start warns, and accept runs out (EMFILE).
    const limits = "max_connections = 1000\nmax_connections_per_ip = 1000\nhandshake_timeout = 3\n";
    const dir = await configDirWith(port, limits, REALM);
    const server = await spawnServer(dir, port, { fileLimit: 256 });
    const flood = new IdleConnections();
    try {
      const csr = (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64();
      const enroll = () =>
        curl(`${server.origin}/.well-known/est/simpleenroll`, {
          user: ALICE.user,
          body: csr,
          headers: { "Content-Type": "application/pkcs10" },
          extra: ["--max-time", "5"],
        }).then((r) => r.status, () => 0);
      assert.equal(await enroll(), 200);
      const rssBefore = residentKib(server.child.pid);
      assert.equal(await flood.open(port, 400), 400);
      await new Promise((r) => setTimeout(r, 4000));
      flood.close();
      let status = 0;
      const started = performance.now();
      while (status !== 200 && performance.now() - started < 40_000) {
        status = await enroll();
        if (status !== 200) await new Promise((r) => setTimeout(r, 500));
      }
      const rssAfter = residentKib(server.child.pid);
      console.log(
        `descriptors: enrolled again ${Math.round(performance.now() - started)} ms after the flood closed; ` +
          `VmRSS ${rssBefore} kB before, ${rssAfter} kB after`,
      );
      assert.equal(status, 200, "the server serves enrollment again");
      assert.ok(rssAfter - rssBefore < 64 * 1024, `RSS grew by ${rssAfter - rssBefore} kB`);
    } finally {
      flood.close();
      server.signal("SIGTERM");
    }
    const { stderr } = await server.finished;
    assert.match(stderr, /open-file limit \(RLIMIT_NOFILE 256\) is below/);
    assert.match(stderr, /stopped accepting connections .*re-opening it/);
  },
);

Deno.test("descriptors: thousands of refused connections leave memory where it was", opts, async () => {
  const port = freePort();
  const dir = await configDirWith(port, "max_connections_per_ip = 1\n", REALM);
  const server = await spawnServer(dir, port, { fileLimit: 1024 });
  try {
    const rss = [residentKib(server.child.pid)];
    for (let round = 0; round < 3; round++) {
      const flood = new IdleConnections();
      assert.equal(await flood.open(port, 1000), 1000);
      assert.ok(await flood.closedByServer(3000) >= 999, "all but one refused at accept");
      flood.close();
      await new Promise((r) => setTimeout(r, 500));
      rss.push(residentKib(server.child.pid));
    }
    console.log(`descriptors: VmRSS over 3 rounds of 1000 refused connections: ${rss.join(", ")} kB`);
    assert.ok(rss[3] - rss[0] < 32 * 1024, `RSS grew by ${rss[3] - rss[0]} kB`);
    assert.equal((await curl(`${server.origin}/health`)).status, 200);
  } finally {
    server.signal("SIGTERM");
    await server.finished;
  }
});
