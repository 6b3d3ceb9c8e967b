import assert from "node:assert/strict";
import { join } from "node:path";
import { pendingStorePath, SqlitePendingStore } from "../../src/backend/sqlite_pending_store.ts";
import { curl, type CurlResponse } from "../support/curl.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE, startTestServer, type TestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-protocol-limits-" });

/** POSTs a CSR as alice to `path` (below the EST root). */
function post(srv: TestServer, path: string, csr: Uint8Array<ArrayBuffer>): Promise<CurlResponse> {
  return curl(`${srv.base}/${path}`, {
    cacert: srv.caPath,
    user: ALICE.user,
    body: csr.toBase64(),
    headers: { "Content-Type": "application/pkcs10" },
  });
}

Deno.test("serverkeygen: the name policy and the issuance quota apply as to simpleenroll", opts, async () => {
  const srv = await startTestServer({ labels: { iot: { issuance_quota: 1 } } });
  try {
    const before = await srv.issuedCount();
    const victim = (await makeCsr(tmp, "/CN=alice", { san: "DNS:victim.example" })).csrDer;
    const refused = await post(srv, "serverkeygen", victim);
    assert.equal(refused.status, 403, refused.text);
    assert.equal(await srv.issuedCount(), before, "nothing issued for a name that is not alice's");

    const own = (await makeCsr(tmp, "/CN=alice")).csrDer;
    const first = await post(srv, "iot/serverkeygen", own);
    assert.equal(first.status, 200, first.text);
    const over = await post(srv, "iot/serverkeygen", own);
    assert.equal(over.status, 429, over.text);
    assert.match(over.text, /Issuance quota of 1 certificates? per \d+ seconds reached/);
    assert.equal((await post(srv, "iot/simpleenroll", own)).status, 429, "one quota for both operations");
    assert.equal(await srv.issuedCount(), before + 1);
  } finally {
    await srv.close();
  }
});

Deno.test(
  "deferred issuance: an approved request still counts against the quota and the name policy",
  opts,
  async () => {
    const srv = await startTestServer({ labels: { held: { approval: "manual", issuance_quota: 1 } } });
    const store = new SqlitePendingStore(pendingStorePath(join(srv.dir, "state")));
    try {
      const before = await srv.issuedCount();
      const victim = (await makeCsr(tmp, "/CN=alice", { san: "DNS:victim.example" })).csrDer;
      assert.equal((await post(srv, "held/simpleenroll", victim)).status, 403, "refused before it is held");
      const first = (await makeCsr(tmp, "/CN=alice")).csrDer;
      const second = (await makeCsr(tmp, "/CN=alice")).csrDer;
      assert.equal((await post(srv, "held/simpleenroll", first)).status, 202);
      assert.equal((await post(srv, "held/simpleenroll", second)).status, 202, "waiting counts for nothing");
      const held = await store.list("pending");
      assert.equal(held.length, 2, "the refused request was never held");
      for (const record of held) assert.ok(await store.decide(record.id, "approved"));

      const granted = await post(srv, "held/simpleenroll", first);
      assert.equal(granted.status, 200, granted.text);
      const over = await post(srv, "held/simpleenroll", second);
      assert.equal(over.status, 429, over.text);
      assert.equal(await srv.issuedCount(), before + 1);
    } finally {
      await store.close();
      await srv.close();
    }
  },
);
