import assert from "node:assert/strict";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { issuingLoop } from "../support/hostile_chains.ts";
import { residentKib } from "../support/idle_connections.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE } from "../support/server.ts";
import { configDirWith, freePort, spawnServer } from "../support/server_process.ts";
import { run } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-hostile-chain-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };
const REALM = `[realm]\nclass = "in-memory"\nusername = "alice"\npassword = "4me2Test"\n`;

Deno.test(
  "hostile chain: certificates that issue each other, or a huge chain, get 401/403; nothing issued; others served",
  opts,
  async () => {
    const port = freePort();
    const dir = await configDirWith(port, "", REALM);
    const server = await spawnServer(dir, port, { fileLimit: 256 });
    const base = `${server.origin}/.well-known/est`;
    try {
      const csr = (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64();
      const rssBefore = residentKib(server.child.pid);
      const loops = [await issuingLoop(tmp, "tls1", 1), await issuingLoop(tmp, "tls20", 20)];
      for (const loop of loops) {
        const who = { cert: loop.chainPath, key: loop.keyPath };
        const enroll = await curl(`${base}/simpleenroll`, {
          ...who,
          user: ALICE.user,
          body: csr,
          headers: PKCS10,
        });
        assert.equal(enroll.status, 401, enroll.text);
        const renew = await curl(`${base}/simplereenroll`, { ...who, body: csr, headers: PKCS10 });
        assert.equal(renew.status, 403, renew.text);
        assert.match(renew.text, /not issued by a trusted CA/);
      }
      // 400 certificates (about 200 KB): the TLS layer refuses a Certificate message that large.
      const huge = await issuingLoop(tmp, "huge", 200);
      const res = await run("curl", [
        ..."-s -k -o /dev/null -w %{http_code} --cert".split(" "),
        huge.chainPath,
        "--key",
        huge.keyPath,
        `${base}/simplereenroll`,
      ]);
      assert.ok(res.code !== 0 || ["401", "403"].includes(res.text), `${res.code} ${res.text}`);
      // Forty hostile renewals at once while another client asks for the CA certificates.
      const attack = Array.from({ length: 40 }, (_, i) =>
        curl(`${base}/simplereenroll`, {
          cert: loops[i % 2].chainPath,
          key: loops[i % 2].keyPath,
          body: csr,
          headers: PKCS10,
        }).then((r) => r.status));
      const started = performance.now();
      const served = await curl(`${base}/cacerts`);
      const servedMs = performance.now() - started;
      assert.deepEqual(new Set(await Promise.all(attack)), new Set([403]));
      assert.equal(served.status, 200);
      const enrolled = await curl(`${base}/simpleenroll`, { user: ALICE.user, body: csr, headers: PKCS10 });
      assert.equal(enrolled.status, 200, "a legitimate enrollment still works");
      const rssAfter = residentKib(server.child.pid);
      console.log(
        `hostile chain: /cacerts answered in ${Math.round(servedMs)} ms during 40 loop-chain renewals; ` +
          `VmRSS ${rssBefore} kB before, ${rssAfter} kB after`,
      );
      assert.ok(rssAfter - rssBefore < 64 * 1024, `RSS grew by ${rssAfter - rssBefore} kB`);
    } catch (err) {
      const exited = await Promise.race([
        server.finished,
        new Promise((r) => setTimeout(() => r(undefined), 100)),
      ]);
      throw exited ? new Error(`${err}; the server exited: ${JSON.stringify(exited).slice(-3000)}`) : err;
    } finally {
      try {
        server.signal("SIGTERM");
      } catch { /* exited already */ }
    }
    const { stderr } = await server.finished;
    assert.doesNotMatch(stderr, /"level":"ERROR"|\[ERROR\]/);
    const audit = (await Deno.readTextFile(join(dir, "state", "audit.jsonl"))).trim().split("\n").map((l) =>
      JSON.parse(l) as { outcome: string; principal?: string }
    );
    const issued = audit.filter((r) => r.outcome === "issued" || r.outcome === "renewed");
    assert.equal(issued.length, 1, "only the legitimate enrollment was issued");
    assert.equal(issued[0].principal, "alice");
  },
);
