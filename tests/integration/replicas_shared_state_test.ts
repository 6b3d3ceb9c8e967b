import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { curl, type CurlResponse } from "../support/curl.ts";
import { makeCsr, makeOpensslCa, type OpensslCa } from "../support/pki.ts";
import { certsFromPkcs7Base64 } from "../support/server.ts";
import { configDirWith, freePort, type ServerProcess, spawnServer } from "../support/server_process.ts";
import { tempDir } from "../support/temp.ts";
import { DATABASE, PostgresCluster, unlessPostgres } from "../support/postgres.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: unlessPostgres() };
const main = new URL("../../main.ts", import.meta.url).pathname;
const QUOTA = 3;

/** server.toml sections of a replica: the shared store, a label held for approval, one with a quota. */
function sections(storeUrl: string, ca: OpensslCa): string {
  return `[est]
retry_after = 3
[labels.held]
approval = "manual"
[labels.counted]
issuance_quota = ${QUOTA}
[store]
url = "${storeUrl}"
timeout = 5
[backend]
class = "local-ca"
caCertFile = "${ca.certPath}"
caKeyFile = "${ca.keyPath}"
[realm]
class = "in-memory"
username = "alice"
password = "4me2Test"
roles = "estclient"
`;
}

interface Replica {
  process: ServerProcess;
  dir: string;
}

async function startReplica(storeUrl: string, ca: OpensslCa, env?: Record<string, string>): Promise<Replica> {
  const port = freePort();
  const dir = await configDirWith(port, 'state_dir = "state"', sections(storeUrl, ca));
  return { process: await spawnServer(dir, port, { env }), dir };
}

function enroll(
  replica: Replica,
  ca: OpensslCa,
  path: string,
  csr: Uint8Array<ArrayBuffer>,
): Promise<CurlResponse> {
  return curl(`${replica.process.origin}/.well-known/est/${path}`, {
    cacert: ca.certPath,
    user: "alice:4me2Test",
    body: csr.toBase64(),
    headers: { "Content-Type": "application/pkcs10" },
  });
}

/** `main.ts <args> --config dir` (with the database password in PGPASSWORD): exit code and output. */
async function cli(
  dir: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args, "--config", dir],
    env: { PGPASSWORD: DATABASE.password },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("replicas: deferred requests, quotas and the CA are shared through PostgreSQL", opts, async () => {
  const db = await PostgresCluster.start();
  const url = `postgres://${DATABASE.user}:${DATABASE.password}@127.0.0.1:${db.port}/${DATABASE.name}`;
  const tmp = await tempDir({ prefix: "est-replicas-shared-" });
  const ca = await makeOpensslCa(tmp, "Shared CA");
  const replicas: Replica[] = [];
  try {
    // B has the password from PGPASSWORD, as deploy/kubernetes-replicated sets it, not in the URL.
    const withoutPassword = url.replace(`:${DATABASE.password}@`, "@");
    replicas.push(
      await startReplica(url, ca),
      await startReplica(withoutPassword, ca, { PGPASSWORD: DATABASE.password }),
    );
    const [a, b] = replicas;

    // Queued through A, listed and approved with either replica's configuration, issued through B.
    const approved = (await makeCsr(tmp, "/CN=alice")).csrDer;
    const rejected = (await makeCsr(tmp, "/CN=alice")).csrDer;
    const queued = await enroll(a, ca, "held/simpleenroll", approved);
    assert.equal(queued.status, 202, queued.text);
    assert.equal(queued.headers.get("retry-after"), "3");
    const id = queued.text.match(/Certificate request (\d+) is waiting for approval/)?.[1];
    assert.ok(id, queued.text);
    const polled = await enroll(b, ca, "held/simpleenroll", approved);
    assert.equal(polled.status, 202, "B finds the request A queued");
    assert.match(polled.text, new RegExp(`Certificate request ${id} is waiting`));
    assert.equal((await enroll(b, ca, "held/simpleenroll", rejected)).status, 202);
    const listed = await cli(b.dir, "pending");
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout.trim().split("\n").length, 3, listed.stdout);
    assert.match(
      listed.stdout,
      new RegExp(`^${id}\\s+pending\\s+\\S+\\s+simpleenroll\\s+held\\s+alice\\s+CN=alice`, "m"),
    );
    const rejectedId = listed.stdout.trim().split("\n")[2].split(/\s+/)[0];
    assert.equal((await cli(a.dir, "approve", id)).code, 0);
    const refusal = await cli(b.dir, "reject", rejectedId, "--reason", "unknown device");
    assert.equal(refusal.code, 0, refusal.stderr);
    const again = await cli(b.dir, "approve", id);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already approved/);
    const issued = await enroll(b, ca, "held/simpleenroll", approved);
    assert.equal(issued.status, 200, issued.text);
    assert.match(await certsFromPkcs7Base64(issued.text), /subject=CN ?= ?alice/);
    const refused = await enroll(a, ca, "held/simpleenroll", rejected);
    assert.equal(refused.status, 403);
    assert.match(refused.text, /rejected: unknown device/);
    assert.match((await cli(a.dir, "pending")).stdout, /rejected/);
    assert.doesNotMatch(
      (await cli(a.dir, "pending")).stdout,
      new RegExp(`^${id}\\s`, "m"),
      "closed once issued",
    );
    for (const replica of replicas) {
      assert.equal(existsSync(join(replica.dir, "state", "pending.sqlite")), false, "no file of its own");
    }

    // A quota of 3, asked 8 times at once across both replicas: exactly 3 certificates.
    const csrs = await Promise.all(Array.from({ length: 8 }, () => makeCsr(tmp, "/CN=alice")));
    const answers = await Promise.all(
      csrs.map((csr, i) => enroll(replicas[i % 2], ca, "counted/simpleenroll", csr.csrDer)),
    );
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(
      statuses,
      [200, 200, 200, 429, 429, 429, 429, 429],
      answers.map((r) => r.text).join("\n"),
    );
    for (const over of answers.filter((r) => r.status === 429)) {
      assert.match(over.text, /Issuance quota of 3 certificates per 3600 seconds reached/);
      assert.ok(Number(over.headers.get("retry-after")) > 3000);
    }
    assert.equal(
      (await db.psql("SELECT count(*) FROM est_issued_certificates WHERE label = 'counted'")).trim(),
      String(QUOTA),
    );

    // A replica with another CA does not start against this store.
    const other = await makeOpensslCa(tmp, "Other CA");
    const port = freePort();
    const dir = await configDirWith(port, 'state_dir = "state"', sections(url, other));
    const foreign = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, "serve", "--config", dir],
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(foreign.stderr);
    assert.equal(foreign.code, 2, stderr);
    assert.match(
      stderr,
      new RegExp(`postgres://127\\.0\\.0\\.1:${db.port}/est holds certificates of the CA "CN=Shared CA"`),
    );
    assert.match(stderr, /this server's CA is "CN=Other CA" \(key sha256:[0-9a-f]{64}\)/);
    assert.doesNotMatch(stderr, /Secret\.123/);
  } finally {
    for (const replica of replicas) {
      replica.process.signal("SIGTERM");
      await replica.process.finished;
    }
    await db.close();
  }
});
