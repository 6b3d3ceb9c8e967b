import "reflect-metadata";
import assert from "node:assert/strict";
import { serverTomlSchema } from "../../src/config/schema.ts";
import { runClientCaptured } from "../support/client_io.ts";
import { BASIC, fileIn, publicKeyOf, trusted } from "../support/client_fixtures.ts";
import { startTestServer } from "../support/server.ts";
import { run, runOk } from "../support/tools.ts";

/**
 * The built-in client against the server's own /serverkeygen and deferred
 * issuance (manual approval, 202 with Retry-After), through the
 * approve/reject subcommands as an operator runs them.
 */

const offered = serverTomlSchema.safeParse({ est: { retry_after: 1 }, labels: { x: { approval: "manual" } } })
  .success;
if (!offered) {
  console.warn("note: this server has no deferred issuance; the client's tests of it are ignored");
}
const opts = { sanitizeOps: false, sanitizeResources: false, ignore: !offered };
const main = new URL("../../main.ts", import.meta.url).pathname;

/** Runs main.ts `command` on `dir` once a request is pending, and returns what it printed. */
async function decideWhenPending(dir: string, command: string[]): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const listing = await run(Deno.execPath(), ["run", "-A", main, "pending", "--config", dir]);
    const id = listing.text.match(/^(\d+)\s+pending/m)?.[1];
    if (id !== undefined) {
      return (await runOk(Deno.execPath(), [
        "run",
        "-A",
        main,
        command[0],
        "--config",
        dir,
        id,
        ...command.slice(1),
      ]))
        .text;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("no request became pending");
}

Deno.test("client: serverkeygen against the server, with and without a label", opts, async () => {
  const srv = await startTestServer({ labels: { iot: {} } });
  try {
    for (const label of [[], ["--label", "iot"]]) {
      const cert = fileIn("cert.pem");
      const key = fileIn("key.pem");
      const result = await runClientCaptured([
        "serverkeygen",
        ...trusted(srv),
        ...BASIC,
        ...label,
        "--cn",
        "alice",
        "--key-out",
        key,
        "--out",
        cert,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
      assert.equal(await publicKeyOf("x509", cert), await publicKeyOf("pkey", key));
      await runOk("openssl", ["verify", "-CAfile", srv.caPath, cert]);
    }
  } finally {
    await srv.close();
  }
});

Deno.test(
  "client: a request awaiting approval is retried until approved, or refused when rejected",
  opts,
  async () => {
    const srv = await startTestServer({
      est: { retry_after: 1 },
      labels: { manual: { approval: "manual" } },
    });
    try {
      const enroll = (cert: string, key: string) =>
        runClientCaptured([
          "enroll",
          ...trusted(srv),
          ...BASIC,
          "--label",
          "manual",
          "--cn",
          "alice",
          "--max-wait",
          "60",
          "--key-out",
          key,
          "--out",
          cert,
        ]);
      const cert = fileIn("cert.pem");
      const key = fileIn("key.pem");
      const [approved, decision] = await Promise.all([
        enroll(cert, key),
        decideWhenPending(srv.dir, ["approve"]),
      ]);
      assert.match(decision, /approved request/);
      assert.equal(approved.code, 0, approved.stderr);
      assert.ok(
        approved.sleeps.length >= 1 && approved.sleeps.every((ms) => ms === 1000),
        `${approved.sleeps}`,
      );
      assert.equal(await publicKeyOf("x509", cert), await publicKeyOf("pkey", key));

      const refusedKey = fileIn("key.pem");
      const [rejected] = await Promise.all([
        enroll(fileIn("cert.pem"), refusedKey),
        decideWhenPending(srv.dir, ["reject", "--reason", "not on the device list"]),
      ]);
      assert.equal(rejected.code, 1);
      assert.match(rejected.stderr, /HTTP 403: the server refused by policy: .*not on the device list/);
      await assert.rejects(Deno.stat(refusedKey), Deno.errors.NotFound);
    } finally {
      await srv.close();
    }
  },
);
