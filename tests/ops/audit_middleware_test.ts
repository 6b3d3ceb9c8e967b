import "reflect-metadata";
import assert from "node:assert/strict";
import type { Backend, EnrollContext } from "../../src/backend/backend.ts";
import { UnavailableError } from "../../src/errors.ts";
import { createEstApp } from "../../src/est/app.ts";
import type { AuditRecord, AuditSink } from "../../src/ops/audit_log.ts";
import type { Realm } from "../../src/realm/realm.ts";
import { appServices, nodeRequest } from "../support/app_services.ts";
import { makeCsr, makeOpensslCa } from "../support/pki.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

/** The audit middleware on the real enrollment route, with a backend whose store sync the test releases. */

const tmp = await tempDir({ prefix: "est-audit-mw-" });
const ca = await makeOpensslCa(tmp, "Audit Unit Root");
const caDer = (await runOk("openssl", ["x509", "-in", ca.certPath, "-outform", "DER"])).stdout;
const { csrDer } = await makeCsr(tmp, "/CN=alice");
const SERIAL = "4a0b";

const realm: Realm = {
  authenticate: (user) => Promise.resolve({ name: user, roles: [], method: "password" }),
  health: () => Promise.resolve({ ok: true }),
  close: () => Promise.resolve(),
};

/** Appends as told: each record noted when sent, then written or refused. */
class RecordingSink implements AuditSink {
  readonly sent: AuditRecord[] = [];
  constructor(private readonly failure?: Error) {}
  append(record: AuditRecord): Promise<void> {
    this.sent.push(record);
    return this.failure ? Promise.reject(this.failure) : Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A backend that commits (tells `recorded`, when `commits`), then waits for
 * the test to end the store's sync, with `syncFailure` when given.
 */
function syncingBackend(commits: boolean) {
  let endSync!: (failure?: Error) => void;
  const synced = new Promise<Error | undefined>((resolve) => endSync = resolve);
  let committed!: () => void;
  const commit = new Promise<void>((resolve) => committed = resolve);
  const backend: Backend = {
    caCerts: () => Promise.resolve([caDer]),
    enroll: async (_csr, ctx: EnrollContext) => {
      if (commits) ctx.recorded?.(SERIAL);
      committed();
      const failure = await synced;
      if (failure) throw failure;
      return { der: caDer, serialHex: SERIAL };
    },
    reenroll: () => Promise.reject(new Error("unused")),
    health: () => Promise.resolve({ ok: true }),
    close: () => Promise.resolve(),
  };
  return { backend, commit, endSync };
}

async function enroll(backend: Backend, audit: AuditSink): Promise<Response> {
  const body = csrDer.toBase64();
  const incoming = nodeRequest(body, { remoteAddress: "192.0.2.9" });

  return await createEstApp(appServices(backend, realm, caDer), { audit }).request(
    "/.well-known/est/simpleenroll",
    {
      method: "POST",
      body,
      headers: {
        "Content-Type": "application/pkcs10",
        Authorization: `Basic ${btoa("alice:pw")}`,
        "X-Request-ID": "req-1",
      },
    },
    { incoming },
  );
}

const outcomes = (sink: RecordingSink) => sink.sent.map((r) => [r.outcome, r.status, r.serial]);

Deno.test("audit middleware: an issuance's record is sent when its certificate is committed, while the store syncs", async () => {
  const sink = new RecordingSink();
  const { backend, commit, endSync } = syncingBackend(true);
  const answer = enroll(backend, sink);
  await commit;
  assert.deepEqual(outcomes(sink), [["issued", 200, SERIAL]], "sent before the sync ends");
  endSync();
  const res = await answer;
  assert.equal(res.status, 200);
  assert.deepEqual(outcomes(sink), [["issued", 200, SERIAL]], "one record, not another at the answer");
  assert.equal(sink.sent[0].requestId, "req-1");
  assert.equal(sink.sent[0].principal, "alice");
  assert.equal(sink.sent[0].subject, "CN=alice");
});

Deno.test("audit middleware: a committed certificate then withheld (the sync failed) gets a second record", async () => {
  const sink = new RecordingSink();
  const { backend, commit, endSync } = syncingBackend(true);
  const answer = enroll(backend, sink);
  await commit;
  endSync(new UnavailableError("Issued-certificate store unavailable: disk I/O error"));
  const res = await answer;
  assert.equal(res.status, 503);
  assert.deepEqual(outcomes(sink), [["issued", 200, SERIAL], ["error", 503, undefined]]);
  assert.match(sink.sent[1].reason ?? "", /disk I\/O error/);
  assert.deepEqual(sink.sent.map((r) => r.requestId), ["req-1", "req-1"]);
});

Deno.test("audit middleware: an issuance whose record cannot be written is withheld (503)", async () => {
  const sink = new RecordingSink(new Error("No space left on device (os error 28)"));
  const { backend, endSync } = syncingBackend(true);
  endSync();
  const res = await enroll(backend, sink);
  assert.equal(res.status, 503);
  assert.equal(await res.text(), "The audit log cannot be written; the certificate is withheld\n");
  assert.deepEqual(outcomes(sink), [["issued", 200, SERIAL]], "tried once");
});

Deno.test("audit middleware: a backend that does not tell of the commit is audited once answered", async () => {
  const sink = new RecordingSink();
  const { backend, commit, endSync } = syncingBackend(false);
  const answer = enroll(backend, sink);
  await commit;
  assert.deepEqual(sink.sent, [], "nothing before the answer");
  endSync();
  assert.equal((await answer).status, 200);
  assert.deepEqual(outcomes(sink), [["issued", 200, SERIAL]]);
});
