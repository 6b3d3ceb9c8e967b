import assert from "node:assert/strict";
import { join } from "node:path";
import { curl, type CurlResponse, hasHeaderSpelled } from "../support/curl.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE, certsFromPkcs7Base64 } from "../support/server.ts";
import { configDirWith, freePort, type ServerProcess, spawnServer } from "../support/server_process.ts";
import { boundaryOf, parseMultipart } from "../support/multipart.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-pending-" });
const main = new URL("../../main.ts", import.meta.url).pathname;
const SECTIONS = `[est]\nretry_after = 7\n[labels.manual]\napproval = "manual"\n` +
  `[realm]\nclass = "in-memory"\nusername = "alice"\npassword = "4me2Test"\n`;

/** `main.ts <args> --config dir`: exit code and output. */
async function cli(
  dir: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args, "--config", dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

function post(server: ServerProcess, path: string, body: string): Promise<CurlResponse> {
  return curl(`${server.origin}/.well-known/est/${path}`, {
    user: ALICE.user,
    body,
    headers: { "Content-Type": "application/pkcs10" },
  });
}

function assertPending(res: CurlResponse, what: string): void {
  assert.equal(res.status, 202, `${what}: ${res.text}`);
  assert.equal(res.headers.get("retry-after"), "7", what);
  assert.ok(hasHeaderSpelled(res, "Retry-After"), what);
  assert.match(res.text, /waiting for approval; retry after 7 seconds/, what);
}

/** The ID `pending` lists for `operation`. */
function idOf(listing: string, operation: string): string {
  const line = listing.split("\n").find((l) => l.includes(` ${operation} `));
  assert.ok(line, `${operation} in:\n${listing}`);
  return line.split(/\s+/)[0];
}

Deno.test(
  "deferred issuance: 202, approve and reject from the CLI, and the certificate after a restart",
  opts,
  async () => {
    const port = freePort();
    const dir = await configDirWith(port, "", SECTIONS);
    const enrollCsr = (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64();
    const keygenCsr = (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64();
    const rejectedCsr = (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64();
    let server = await spawnServer(dir, port);
    try {
      // Unlabelled requests are not held.
      assert.equal((await post(server, "simpleenroll", enrollCsr)).status, 200);
      assertPending(await post(server, "manual/simpleenroll", enrollCsr), "simpleenroll");
      assertPending(await post(server, "manual/serverkeygen", keygenCsr), "serverkeygen");
      assertPending(await post(server, "manual/simpleenroll", rejectedCsr), "to be rejected");
      assertPending(await post(server, "manual/simpleenroll", enrollCsr), "a retry before approval");
      const listed = await cli(dir, "pending");
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /^ID\s+STATUS\s+SINCE\s+OPERATION\s+LABEL\s+REQUESTER\s+SUBJECT/);
      assert.equal(listed.stdout.trim().split("\n").length, 4, listed.stdout);
      assert.match(listed.stdout, /pending\s+\S+\s+simpleenroll\s+manual\s+alice\s+CN=alice/);
      const [first, keygenId, third] = listed.stdout.trim().split("\n").slice(1).map((l) =>
        l.split(/\s+/)[0]
      );
      assert.equal(keygenId, idOf(listed.stdout, "serverkeygen"));

      // The server goes away; the decisions are made meanwhile; the requests are found after the restart.
      server.signal("SIGTERM");
      assert.equal((await server.finished).code, 0);
      assert.equal((await cli(dir, "approve", first)).code, 0);
      assert.equal((await cli(dir, "approve", keygenId)).code, 0);
      const rejected = await cli(dir, "reject", third, "--reason", "not on the device list");
      assert.equal(rejected.code, 0, rejected.stderr);
      assert.match(rejected.stdout, /rejected request \d+ \(CN=alice, alice\): not on the device list/);
      const again = await cli(dir, "approve", first);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already approved/);
      assert.equal((await cli(dir, "approve", "999")).code, 1);
      assert.equal((await cli(dir, "approve")).code, 2);
      server = await spawnServer(dir, port);

      const issued = await post(server, "manual/simpleenroll", enrollCsr);
      assert.equal(issued.status, 200, issued.text);
      assert.match(await certsFromPkcs7Base64(issued.text), /subject=CN ?= ?alice/);
      const keygen = await post(server, "manual/serverkeygen", keygenCsr);
      assert.equal(keygen.status, 200, keygen.text);
      assert.equal(parseMultipart(keygen.text, boundaryOf(keygen.headers.get("content-type"))).length, 2);
      const refused = await post(server, "manual/simpleenroll", rejectedCsr);
      assert.equal(refused.status, 403);
      assert.match(refused.text, /rejected: not on the device list/);
      // A certificate handed out closes the request: the same CSR again is a new request.
      assertPending(await post(server, "manual/simpleenroll", enrollCsr), "after issuance");
      const audit = await Deno.readTextFile(join(dir, "state", "audit.jsonl"));
      assert.match(audit, /"outcome":"pending"/);
      assert.match(audit, /"operation":"serverkeygen","outcome":"issued".*"generatedKey":"P-256"/);
    } finally {
      server.signal("SIGTERM");
      await server.finished;
    }
  },
);
