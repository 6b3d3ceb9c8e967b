import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Backend, IssuancePendingError, type IssuedCertificate } from "../../src/backend/backend.ts";
import { SqlitePendingStore } from "../../src/backend/sqlite_pending_store.ts";
import { EstError, ForbiddenError } from "../../src/errors.ts";
import { type DeferrableRequest, issueOrDefer } from "../../src/est/deferred_issuance.ts";
import { parseCsr } from "../../src/pki/csr.ts";
import { makeCsr } from "../support/pki.ts";
import { tempDir } from "../support/temp.ts";

const tmp = await tempDir({ prefix: "est-deferral-" });
const csr = await parseCsr((await makeCsr(tmp, "/CN=device")).csrDer, { minRsaBits: 2048 });
const CERT: IssuedCertificate = { der: new Uint8Array([0x30, 0]), serialHex: "01" };
const request = (manual = false): DeferrableRequest => ({
  csr,
  operation: "simpleenroll",
  manual,
  ctx: {
    principal: { name: "device", roles: [], method: "password" },
    requestId: "r",
    remoteAddr: "127.0.0.1",
    issuance: {},
    label: "iot",
  },
});
const pendingOn = (id: string) => () => Promise.reject(new IssuancePendingError(id));

function statusOf(err: unknown): number {
  return err instanceof EstError ? err.status : -1;
}

Deno.test("deferral: without a store, issuance is direct and a CA that defers is a 500", async () => {
  const backend = {} as Backend;
  const deferral = { retryAfterSeconds: 5 };
  assert.equal(
    await issueOrDefer(request(), { issue: () => Promise.resolve(CERT) }, deferral, backend),
    CERT,
  );
  await assert.rejects(
    issueOrDefer(request(), { issue: pendingOn("0x1") }, deferral, backend),
    (e) => statusOf(e) === 500,
  );
});

Deno.test("deferral: the CA's pending request is polled; still pending, rejected, then kept rejected", async () => {
  const store = new SqlitePendingStore(join(tmp, "a", "pending.sqlite"));
  const deferral = { store, retryAfterSeconds: 9 };
  const answers: (() => Promise<IssuedCertificate>)[] = [
    pendingOn("0x2"),
    () => Promise.reject(new ForbiddenError("Certificate request rejected by the CA: no")),
  ];
  const backend = { pollPending: () => answers.shift()!() } as unknown as Backend;
  const issuance = { issue: pendingOn("0x2"), fromCa: (c: IssuedCertificate) => c };
  for (const expected of [202, 202, 403, 403]) {
    const err = await issueOrDefer(request(), issuance, deferral, backend).then(() => undefined, (e) => e);
    assert.equal(statusOf(err), expected, String(err));
    if (expected === 202) assert.equal((err as EstError).headers["Retry-After"], "9");
  }
  assert.equal((await store.list("rejected")).length, 1);
  assert.equal((await store.list("pending")).length, 0);
  await store.close();
});

Deno.test("deferral: an approved request the CA then holds is tracked by the CA's request ID", async () => {
  const store = new SqlitePendingStore(join(tmp, "b", "pending.sqlite"));
  const deferral = { store, retryAfterSeconds: 9 };
  const backend = { pollPending: () => Promise.resolve(CERT) } as unknown as Backend;
  const issuance = { issue: pendingOn("0x3"), fromCa: (c: IssuedCertificate) => c };
  await assert.rejects(issueOrDefer(request(true), issuance, deferral, backend), (e) => statusOf(e) === 202);
  const [held] = await store.list();
  assert.equal(await store.decide(held.id, "approved"), true);
  assert.equal(await store.decide(held.id, "approved"), false, "decided once");
  await assert.rejects(issueOrDefer(request(true), issuance, deferral, backend), /waiting for the CA/);
  assert.equal((await store.list())[0].caRequestId, "0x3");
  assert.equal(await issueOrDefer(request(true), issuance, deferral, backend), CERT);
  assert.deepEqual(await store.list(), [], "closed once the certificate went out");
  // A backend that cannot poll, or a request that cannot wait, stays 202 / is refused.
  await assert.rejects(
    issueOrDefer(request(), { issue: pendingOn("0x4") }, deferral, backend),
    (e) => statusOf(e) === 501,
  );
  await assert.rejects(issueOrDefer(request(), issuance, deferral, backend), (e) => statusOf(e) === 202);
  await assert.rejects(
    issueOrDefer(request(), issuance, deferral, {} as Backend),
    (e) => statusOf(e) === 202,
  );
  await store.close();
  await assert.rejects(issueOrDefer(request(), issuance, deferral, backend), (e) => statusOf(e) === 503);
});
