import assert from "node:assert/strict";
import { join } from "node:path";
import type { LogRecord } from "@logtape/logtape";
import { closeLogging, formatJsonLine, setupLogging } from "../../src/ops/logging.ts";
import { enrollWithPassword } from "../support/client_certs.ts";
import { curl } from "../support/curl.ts";
import { makeCsr, makeSelfSigned, writeTemp } from "../support/pki.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-audit-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };

async function auditLines(path: string): Promise<Record<string, unknown>[]> {
  return (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => JSON.parse(l));
}

Deno.test(
  "audit: one record per issuance, renewal and refusal; a summary of authentication failures",
  opts,
  async () => {
    const srv = await startTestServer({ labels: { iot: {} }, limits: { audit_summary_interval: 1 } });
    const auditPath = join(srv.dir, "state", "audit.jsonl");
    try {
      const cred = await enrollWithPassword(srv, tmp, "/CN=alice", { san: "DNS:alice", label: "iot" });
      const renew = await curl(`${srv.base}/simplereenroll`, {
        cacert: srv.caPath,
        cert: cred.certPath,
        key: cred.keyPath,
        headers: PKCS10,
        body: (await makeCsr(tmp, "/CN=alice", { san: "DNS:alice" })).csrDer.toBase64(),
      });
      assert.equal(renew.status, 200);
      const refused = await curl(`${srv.base}/simpleenroll`, {
        cacert: srv.caPath,
        user: ALICE.user,
        headers: { ...PKCS10, "X-Request-ID": "refused-1" },
        body: (await makeCsr(tmp, "/CN=mallory", { san: "DNS:mallory" })).csrDer.toBase64(),
      });
      assert.equal(refused.status, 403);
      const badPassword = await curl(`${srv.base}/simpleenroll`, {
        cacert: srv.caPath,
        user: "alice:wrong",
        headers: PKCS10,
        body: "MII",
      });
      assert.equal(badPassword.status, 401);
      const stranger = await makeSelfSigned(tmp, "/CN=alice", ["extendedKeyUsage=clientAuth"]);
      const badCert = await curl(`${srv.base}/simplereenroll`, {
        cacert: srv.caPath,
        ...{ cert: stranger.certPath, key: stranger.keyPath },
        headers: PKCS10,
        body: (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64(),
      });
      assert.equal(badCert.status, 403);

      await new Promise((resolve) => setTimeout(resolve, 1500));
      const all = await auditLines(auditPath);
      const lines = all.filter((l) => l.outcome !== "auth-failure-summary");
      assert.equal(lines.length, 3, "authentication failures are not audited one by one");
      const [issued, renewed, refusal] = lines;
      assert.equal(issued.outcome, "issued");
      assert.equal(issued.operation, "simpleenroll");
      assert.equal(issued.label, "iot");
      assert.equal(issued.principal, "alice");
      assert.equal(issued.subject, "CN=alice");
      assert.deepEqual(issued.sans, ["dns:alice"]);
      assert.match(String(issued.serial), /^[4-7][0-9a-f]{31}$/);
      assert.equal(issued.status, 200);
      assert.equal(issued.reason, undefined);
      assert.match(String(issued.time), /^\d{4}-\d\d-\d\dT/);
      assert.match(String(issued.requestId), /^[0-9a-f-]{36}$/);
      assert.equal(renewed.outcome, "renewed");
      assert.equal(renewed.principal, "CN=alice");
      assert.notEqual(renewed.serial, issued.serial);
      assert.deepEqual(
        { ...refusal, time: undefined },
        {
          time: undefined,
          requestId: "refused-1",
          operation: "simpleenroll",
          outcome: "refused",
          status: 403,
          principal: "alice",
          remoteAddr: "127.0.0.1",
          subject: "CN=mallory",
          sans: ["dns:mallory"],
          reason: "CSR subject does not match user identity. subject 'mallory' from dn 'CN=mallory'",
        },
      );
      const counts: Record<string, number> = {};
      for (const summary of all.filter((l) => l.outcome === "auth-failure-summary")) {
        assert.match(String(summary.since), /^\d{4}-/);
        const byKind = (summary.counts as Record<string, Record<string, number>>)["127.0.0.1"];
        for (const [kind, n] of Object.entries(byKind)) counts[kind] = (counts[kind] ?? 0) + n;
      }
      assert.deepEqual(counts, {
        "401 simpleenroll: Invalid credentials": 1,
        "403 simplereenroll: Client certificate rejected: certificate was not issued by a trusted CA": 1,
      });
    } finally {
      await srv.close();
    }
  },
);

Deno.test("audit: a failure on this side is recorded as an error", opts, async () => {
  const slow = await writeTemp(tmp, "slow.sh", "#!/bin/sh\nexec sleep 30\n");
  await Deno.chmod(slow, 0o755);
  const srv = await startTestServer({
    authorizer: { class: "external-process", executable: slow, timeout: 1 },
  });
  try {
    const res = await curl(`${srv.base}/simpleenroll`, {
      cacert: srv.caPath,
      user: ALICE.user,
      headers: PKCS10,
      body: (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64(),
    });
    assert.equal(res.status, 500);
    const [record] = await auditLines(join(srv.dir, "state", "audit.jsonl"));
    assert.equal(record.outcome, "error");
    assert.equal(record.reason, "Request validation timed out");
    assert.equal(record.subject, "CN=alice");
  } finally {
    await srv.close();
  }
});

Deno.test(
  "audit: when the record cannot be written (disk full), nothing is handed out (503)",
  opts,
  async () => {
    const srv = await startTestServer({ audit: { path: "/dev/full" } });
    try {
      const res = await curl(`${srv.base}/simpleenroll`, {
        cacert: srv.caPath,
        user: ALICE.user,
        headers: PKCS10,
        body: (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64(),
      });
      assert.equal(res.status, 503);
      assert.equal(res.text, "The audit log cannot be written; the certificate is withheld\n");
      assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
      const refused = await curl(`${srv.base}/simpleenroll`, {
        cacert: srv.caPath,
        headers: PKCS10,
        body: "x",
      });
      assert.equal(refused.status, 401, "a refusal is still answered as such");
    } finally {
      await srv.close();
    }
  },
);

Deno.test("logging: one JSON line per request with its fields, and never a secret", opts, async () => {
  const records: LogRecord[] = [];
  await setupLogging({ level: "debug", format: "json" }, (r) => records.push(r));
  const seen = join(tmp, "authz.json");
  const authz = await writeTemp(tmp, "authz.sh", `#!/bin/sh\ncat > ${seen}\necho fine\n`);
  await Deno.chmod(authz, 0o755);
  const srv = await startTestServer({
    labels: { iot: {} },
    authorizer: { class: "external-process", executable: authz },
  });
  try {
    const cred = await enrollWithPassword(srv, tmp, "/CN=alice", { label: "iot" });
    const byCert = await curl(`${srv.base}/simpleenroll`, {
      cacert: srv.caPath,
      cert: cred.certPath,
      key: cred.keyPath,
      headers: { ...PKCS10, "X-Request-ID": "cert-req-7" },
      body: (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64(),
    });
    assert.equal(byCert.status, 200);
    await curl(`${srv.base}/simpleenroll`, {
      cacert: srv.caPath,
      user: "alice:not-the-password",
      headers: PKCS10,
      body: "x",
    });
  } finally {
    await srv.close();
    await closeLogging();
  }
  const lines = records.map(formatJsonLine);
  const text = lines.join("");
  for (
    const secret of [ALICE.password, "not-the-password", "PRIVATE KEY", "Authorization", btoa(ALICE.user)]
  ) {
    assert.ok(!text.includes(secret), `"${secret}" appears in the logs`);
  }
  const access = lines.map((l) => JSON.parse(l)).filter((l) => l.logger === "est.access");
  const passwordLine = access.find((l) => l.operation === "simpleenroll" && l.label === "iot")!;
  assert.equal(passwordLine.principal, "alice");
  assert.equal(passwordLine.status, 200);
  assert.equal(passwordLine.method, "POST");
  assert.equal(passwordLine.path, "/.well-known/est/iot/simpleenroll");
  assert.equal(passwordLine.remoteAddr, "127.0.0.1");
  assert.match(passwordLine.tlsProtocol, /^TLSv1\.[23]$/);
  assert.equal(typeof passwordLine.durationMs, "number");
  assert.match(passwordLine.requestId, /^[0-9a-f-]{36}$/);
  const certLine = access.find((l) => l.requestId === "cert-req-7")!;
  assert.equal(certLine.clientCertSubject, "CN=alice");
  assert.equal(certLine.principal, "CN=alice");
  const authzLine = lines.map((l) => JSON.parse(l)).find((l) =>
    l.logger === "est.authz" && l.requestId === "cert-req-7"
  );
  assert.ok(authzLine, "the authoriser's output is logged with the request ID");
  assert.equal(authzLine.stdout, "fine\n");
});
