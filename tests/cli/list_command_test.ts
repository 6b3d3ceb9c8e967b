import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalCaBackend } from "../../src/backend/local_ca/local_ca_backend.ts";
import { revokeCertificate } from "../../src/backend/local_ca/revoke.ts";
import { listCommand, sinceDate } from "../../src/cli/list_command.ts";
import type { LocalCaConfig } from "../../src/config/components.ts";
import { loadConfig } from "../../src/config/load.ts";
import { parseCsr } from "../../src/pki/csr.ts";
import { makeCsr } from "../support/pki.ts";
import { tempDir } from "../support/temp.ts";

const ctx = {
  principal: { name: "a", roles: [], method: "password" as const },
  requestId: "r",
  remoteAddr: "x",
  issuance: {},
};

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await listCommand(args, { out: (t) => out += `${t}\n`, err: (t) => err += `${t}\n` });
  return { code, out, err };
}

/** A config dir whose local CA issued alice, bob and carol; bob is revoked. */
async function issued(): Promise<{ dir: string; serials: Record<string, string> }> {
  const dir = await tempDir({ prefix: "est-list-" });
  const config = loadConfig(dir);
  const ca = await LocalCaBackend.open(config.backend as LocalCaConfig, config.server.state_dir);
  const serials: Record<string, string> = {};
  for (const name of ["alice", "bob", "carol"]) {
    const csr = await parseCsr((await makeCsr(dir, `/CN=${name}`)).csrDer, { minRsaBits: 2048 });
    serials[name] = (await ca.enroll(csr, ctx)).serialHex;
  }
  await ca.close();
  await revokeCertificate(config, serials.bob, "keyCompromise");
  return { dir, serials };
}

Deno.test("list: every certificate as a table, newest first, with status", async () => {
  const { dir, serials } = await issued();
  const { code, out } = await run(["--config", dir]);
  assert.equal(code, 0);
  const lines = out.trimEnd().split("\n");
  assert.match(lines[0], /^SERIAL\s+STATUS\s+NOT AFTER\s+SUBJECT$/);
  assert.equal(lines.length, 5);
  assert.match(lines[4], /^3 certificates$/);
  const bob = lines.find((l) => l.startsWith(serials.bob))!;
  assert.match(bob, /revoked \(keyCompromise\)\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+CN=bob$/);
  assert.match(lines.find((l) => l.startsWith(serials.alice))!, /\svalid\s.*CN=alice$/);
});

Deno.test("list: filters by status, subject, date and count; JSON output", async () => {
  const { dir, serials } = await issued();
  const revoked = JSON.parse((await run(["--config", dir, "--status", "revoked", "--json"])).out);
  assert.equal(revoked.length, 1);
  assert.equal(revoked[0].serial, serials.bob);
  assert.equal(revoked[0].status, "revoked");
  assert.equal(revoked[0].revocationReason, "keyCompromise");
  assert.equal(revoked[0].subject, "CN=bob");
  assert.ok(Date.parse(revoked[0].notAfter) > Date.now());
  const valid = JSON.parse((await run(["--config", dir, "--status", "valid", "--json"])).out);
  assert.deepEqual(valid.map((r: { subject: string }) => r.subject).sort(), ["CN=alice", "CN=carol"]);
  assert.equal(JSON.parse((await run(["--config", dir, "--status", "expired", "--json"])).out).length, 0);
  const carol = JSON.parse((await run(["--config", dir, "--subject", "CAR", "--json"])).out);
  assert.deepEqual(carol.map((r: { serial: string }) => r.serial), [serials.carol]);
  assert.equal(JSON.parse((await run(["--config", dir, "--since", "1d", "--json"])).out).length, 3);
  assert.equal(JSON.parse((await run(["--config", dir, "--since", "2999-01-01", "--json"])).out).length, 0);
  assert.equal(JSON.parse((await run(["--config", dir, "--limit", "2", "--json"])).out).length, 2);
});

Deno.test("list: bad options are usage errors; no store lists nothing; another backend is refused", async () => {
  for (
    const args of [["--status", "gone"], ["--since", "yesterday"], ["--since", "2026-13-45"], [
      "--limit",
      "0",
    ]]
  ) {
    const { code, err } = await run(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(err, /usage: pki-est-server list/);
  }
  const empty = await tempDir({ prefix: "est-list-" });
  assert.match((await run(["--config", empty])).out, /^SERIAL.*\n0 certificates\n$/);
  await Deno.writeTextFile(
    join(empty, "backend.conf"),
    "class=org.dogtagpki.est.DogtagRABackend\nurl=https://ca.example.com:8443\nprofile=estServiceCert\n",
  );
  const other = await run(["--config", empty]);
  assert.equal(other.code, 2);
  assert.match(other.err, /another backend/);
});

Deno.test("list: --since takes dates and ages", () => {
  const now = Date.parse("2026-06-10T00:00:00Z");
  assert.equal(sinceDate("7d", now)?.toISOString(), "2026-06-03T00:00:00.000Z");
  assert.equal(sinceDate("12h", now)?.toISOString(), "2026-06-09T12:00:00.000Z");
  assert.equal(sinceDate("2026-01-31", now)?.toISOString(), "2026-01-31T00:00:00.000Z");
  assert.equal(sinceDate("2026-01-31T10:00:00Z", now)?.toISOString(), "2026-01-31T10:00:00.000Z");
  assert.equal(sinceDate("soon", now), undefined);
});
