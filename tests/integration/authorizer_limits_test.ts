import assert from "node:assert/strict";
import { curl } from "../support/curl.ts";
import { makeCsr, writeTemp } from "../support/pki.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-authz-limits-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };

async function executable(name: string, body: string): Promise<string> {
  const path = await writeTemp(tmp, name, `#!/bin/sh\ncat > /dev/null\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test(
  "authorizer over TLS: busy beyond the process cap is 503 with Retry-After; nothing issued",
  opts,
  async () => {
    const slow = await executable("slow.sh", "sleep 1.5; exit 0");
    const srv = await startTestServer({
      authorizer: {
        class: "external-process",
        executable: slow,
        timeout: 10,
        maxConcurrent: 1,
        maxQueued: 0,
      },
    });
    try {
      const csr = (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64();
      const before = await srv.issuedCount();
      const enroll = () =>
        curl(`${srv.base}/simpleenroll`, {
          cacert: srv.caPath,
          user: ALICE.user,
          body: csr,
          headers: PKCS10,
        });
      const first = enroll();
      await new Promise((r) => setTimeout(r, 700));
      const second = await enroll();
      assert.equal(second.status, 503, second.text);
      assert.equal(second.headers.get("retry-after"), "1");
      assert.equal((await first).status, 200);
      assert.equal(await srv.issuedCount(), before + 1, "only the request that got a process was issued");
    } finally {
      await srv.close();
    }
  },
);

Deno.test(
  "authorizer over TLS: a flood of refusal output reaches the client as one short line",
  opts,
  async () => {
    const chatty = await executable(
      "chatty.sh",
      "i=0; while [ $i -lt 2000 ]; do echo 'no no no no no no no no no no no no no'; i=$((i+1)); done; exit 1",
    );
    const srv = await startTestServer({
      authorizer: { class: "external-process", executable: chatty, timeout: 10 },
    });
    try {
      const csr = (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64();
      const before = await srv.issuedCount();
      const res = await curl(`${srv.base}/simpleenroll`, {
        cacert: srv.caPath,
        user: ALICE.user,
        body: csr,
        headers: PKCS10,
      });
      assert.equal(res.status, 403);
      assert.ok(res.body.byteLength <= 1025, `${res.body.byteLength} bytes`);
      assert.equal(res.text.trimEnd().split("\n").length, 1);
      assert.match(res.text, /^no no no .*\.\.\.\n$/);
      assert.equal(await srv.issuedCount(), before);
    } finally {
      await srv.close();
    }
  },
);
