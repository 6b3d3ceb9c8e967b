import assert from "node:assert/strict";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { makeCsr, makeOpensslCa } from "../support/pki.ts";
import { certsFromPkcs7Base64 } from "../support/server.ts";
import { configDirWith, freePort, type ServerProcess, spawnServer } from "../support/server_process.ts";
import { run, runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";
import { DATABASE, PostgresCluster, unlessPostgres } from "../support/postgres.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: unlessPostgres() };
const main = new URL("../../main.ts", import.meta.url).pathname;
const PKCS10 = { "Content-Type": "application/pkcs10" };

/** One replica: its process, its config dir and the port of its publishing listener. */
interface Replica {
  process: ServerProcess;
  dir: string;
  publishPort: number;
}

async function startReplica(storeUrl: string, ca: { certPath: string; keyPath: string }): Promise<Replica> {
  const port = freePort();
  const publishPort = freePort();
  const dir = await configDirWith(
    port,
    'state_dir = "state"',
    `[publish]
bind = "127.0.0.1:${publishPort}"
poll_interval = 1
[store]
url = "${storeUrl}"
timeout = 3
[backend]
class = "local-ca"
caCertFile = "${ca.certPath}"
caKeyFile = "${ca.keyPath}"
[realm]
class = "in-memory"
username = "alice"
password = "4me2Test"
roles = "estclient"
`,
  );
  return { process: await spawnServer(dir, port), dir, publishPort };
}

async function enroll(replica: Replica, caPath: string, dir: string, keyPath?: string) {
  const csr = await makeCsr(dir, "/CN=alice", { san: "DNS:alice", keyPath });
  const res = await curl(`${replica.process.origin}/.well-known/est/simpleenroll`, {
    cacert: caPath,
    user: "alice:4me2Test",
    body: csr.csrDer.toBase64(),
    headers: PKCS10,
  });
  return { res, keyPath: csr.keyPath };
}

async function serialOf(pem: string): Promise<string> {
  return (await runOk("openssl", ["x509", "-noout", "-serial"], pem)).text.trim().replace(/^serial=/, "")
    .toLowerCase();
}

Deno.test("replicas: two server processes share one CA through PostgreSQL", opts, async () => {
  const db = await PostgresCluster.start();
  const url = `postgres://${DATABASE.user}:${DATABASE.password}@127.0.0.1:${db.port}/${DATABASE.name}`;
  const tmp = await tempDir({ prefix: "est-replicas-" });
  const ca = await makeOpensslCa(tmp, "Replicated CA");
  const replicas: Replica[] = [];
  try {
    replicas.push(await startReplica(url, ca), await startReplica(url, ca));
    const [a, b] = replicas;

    // Enrollments spread across both get serials unique across both.
    const issued: { pem: string; keyPath: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const { res, keyPath } = await enroll(replicas[i % 2], ca.certPath, tmp);
      assert.equal(res.status, 200, res.text);
      issued.push({ pem: await certsFromPkcs7Base64(res.text), keyPath });
    }
    const serials = await Promise.all(issued.map((c) => serialOf(c.pem)));
    assert.equal(new Set(serials).size, serials.length);
    const listed = JSON.parse(
      (await runOk(Deno.execPath(), ["run", "-A", main, "list", "--config", b.dir, "--json"])).text,
    );
    for (const serial of serials) assert.ok(listed.some((r: { serial: string }) => r.serial === serial));

    // Revoked through A (its configuration), refused by B and revoked in B's OCSP.
    const victim = issued[1];
    const certPath = join(tmp, "victim.pem");
    await Deno.writeTextFile(certPath, victim.pem);
    const revoked = await runOk(Deno.execPath(), [
      "run",
      "-A",
      main,
      "revoke",
      "--config",
      a.dir,
      serials[1],
      "--reason",
      "keyCompromise",
    ]);
    assert.match(revoked.text, /revoked .*keyCompromise/);
    const renewal = await makeCsr(tmp, "/CN=alice", { san: "DNS:alice", keyPath: victim.keyPath });
    const refused = await curl(`${b.process.origin}/.well-known/est/simplereenroll`, {
      cacert: ca.certPath,
      cert: certPath,
      key: victim.keyPath,
      body: renewal.csrDer.toBase64(),
      headers: PKCS10,
    });
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.text, /certificate has been revoked/);
    const ocsp = await run("openssl", [
      "ocsp",
      "-issuer",
      ca.certPath,
      "-cert",
      certPath,
      "-url",
      `http://127.0.0.1:${b.publishPort}/ocsp`,
      "-CAfile",
      ca.certPath,
    ]);
    assert.match(ocsp.stderr, /Response verify OK/);
    assert.match(ocsp.text, /: revoked\n[\s\S]*Reason: keyCompromise/);
    // B's CRL has it within the poll interval.
    let crl = "";
    for (let i = 0; i < 50 && !crl.includes(serials[1].toUpperCase()); i++) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await curl(`http://127.0.0.1:${b.publishPort}/crl`);
      crl = (await runOk("openssl", ["crl", "-inform", "DER", "-noout", "-text"], res.body)).text;
    }
    assert.match(crl, new RegExp(serials[1], "i"));

    // Without the database: 503 for issuance, cacerts still served; then recovery.
    await db.stop();
    const down = await enroll(a, ca.certPath, tmp);
    assert.equal(down.res.status, 503, down.res.text);
    const cacerts = await curl(`${a.process.origin}/.well-known/est/cacerts`, { cacert: ca.certPath });
    assert.equal(cacerts.status, 200);
    await db.resume();
    let again = down.res.status;
    for (let i = 0; i < 50 && again !== 200; i++) {
      again = (await enroll(a, ca.certPath, tmp)).res.status;
      if (again !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(again, 200, "issuance resumes once the database is back");
  } finally {
    for (const replica of replicas) {
      replica.process.signal("SIGTERM");
      await replica.process.finished;
    }
    await db.close();
  }
});
