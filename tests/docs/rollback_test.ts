/**
 * Rehearses the upgrade and rollback of docs/operations.md: the two sh blocks
 * run as written, with the installation's paths moved under a temporary root
 * and `systemctl` recorded (the test stops and starts the server around them).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { fencedBlocks, markdownSections } from "../support/markdown.ts";
import { makeCsr } from "../support/pki.ts";
import { certsFromPkcs7Base64 } from "../support/server.ts";
import { freePort } from "../support/server_process.ts";
import { tempDir } from "../support/temp.ts";
import { runOk } from "../support/tools.ts";

const repo = new URL("../../", import.meta.url).pathname;
const opts = { sanitizeOps: false, sanitizeResources: false };
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** The first sh block under `### heading` of docs/operations.md. */
function runbookBlock(heading: string): string {
  const section = markdownSections(Deno.readTextFileSync(join(repo, "docs", "operations.md")))
    .find((s) => s.heading === heading);
  assert.ok(section, `docs/operations.md has no "### ${heading}"`);
  const [block] = fencedBlocks(section.lines.join("\n"), "sh");
  assert.ok(block, `no sh block under "### ${heading}"`);
  return block.code;
}

/** Runs a runbook block with the installation under `root`; resolves to the systemctl calls it made. */
async function runBlock(root: string, code: string): Promise<string[]> {
  const script = code
    .replaceAll("/usr/local/bin/pki-est-server", `${root}/usr/local/bin/pki-est-server`)
    .replaceAll("/tmp/pki-est-server-new", `${root}/tmp/pki-est-server-new`)
    .replaceAll("/var/lib/pki-est", `${root}/var/lib/pki-est`)
    .replaceAll("/etc/pki/est", `${root}/etc/pki/est`);
  const calls = join(root, "systemctl.calls");
  await Deno.writeTextFile(calls, "");
  const out = await new Deno.Command("bash", {
    args: ["-e", "-o", "pipefail", "-c", `systemctl() { echo "$*" >> "${calls}"; }\n${script}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, `${script}\n${decode(out.stderr)}`);
  return (await Deno.readTextFile(calls)).trim().split("\n");
}

/** A `pki-est-server` for the test: the source tree's main.ts, marked with a version line. */
async function writeBinary(path: string, version: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\n# ${version}\nexec "${Deno.execPath()}" run -A "${join(repo, "main.ts")}" "$@"\n`,
    { mode: 0o755 },
  );
}

interface Running {
  child: Deno.ChildProcess;
  origin: string;
}

async function start(root: string, port: number): Promise<Running> {
  const child = new Deno.Command(join(root, "usr/local/bin/pki-est-server"), {
    args: ["serve", "--config", join(root, "etc/pki/est")],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const origin = `https://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await curl(`${origin}/health`).then((r) => r.status === 200, () => false)) return { child, origin };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error("the server did not come up");
}

async function stop(server: Running): Promise<void> {
  server.child.kill("SIGTERM");
  assert.equal((await server.child.status).code, 0);
}

async function caPem(origin: string, path = ""): Promise<string> {
  const res = await curl(`${origin}/.well-known/est/${path}cacerts`);
  assert.equal(res.status, 200);
  return await certsFromPkcs7Base64(res.text);
}

/** Enrolls alice through `path` and returns the certificate's serial (lower-case hex). */
async function enroll(server: Running, work: string, caFile: string, path = ""): Promise<string> {
  const { csrDer } = await makeCsr(work, "/CN=alice");
  const res = await curl(`${server.origin}/.well-known/est/${path}simpleenroll`, {
    cacert: caFile,
    user: "alice:rehearsal-pass",
    headers: { "Content-Type": "application/pkcs10" },
    body: csrDer.toBase64(),
  });
  assert.equal(res.status, 200, res.text);
  const certFile = join(work, `${crypto.randomUUID()}.pem`);
  await Deno.writeTextFile(certFile, await certsFromPkcs7Base64(res.text));
  await runOk("openssl", ["verify", "-CAfile", caFile, certFile]);
  const serial = (await runOk("openssl", ["x509", "-in", certFile, "-noout", "-serial"])).text;
  return serial.trim().replace(/^serial=/, "").toLowerCase();
}

async function revoke(root: string, serial: string) {
  const out = await new Deno.Command(join(root, "usr/local/bin/pki-est-server"), {
    args: ["revoke", "--config", join(root, "etc/pki/est"), serial],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, text: decode(out.stdout) + decode(out.stderr) };
}

Deno.test(
  "rollback: the runbook's upgrade and rollback bring back the previous config, state and binary",
  opts,
  async () => {
    const root = await tempDir({ prefix: "est-rollback-" });
    const work = await tempDir({ prefix: "est-rollback-work-" });
    const port = freePort();
    await Deno.mkdir(join(root, "etc/pki/est"), { recursive: true });
    await Deno.writeTextFile(
      join(root, "etc/pki/est/server.toml"),
      `[server]\nbind = "127.0.0.1:${port}"\nstate_dir = "${root}/var/lib/pki-est"\nshutdown_grace = 1\n` +
        `[metrics]\nbind = "127.0.0.1:0"\n[publish]\nbind = "127.0.0.1:0"\n[backend]\nclass = "local-ca"\nsubject = "CN=Rollback Rehearsal CA"\n` +
        `[realm]\nclass = "in-memory"\nusername = "alice"\npassword = "rehearsal-pass"\nroles = "estclient"\n`,
    );
    await writeBinary(join(root, "usr/local/bin/pki-est-server"), "version 1");
    await writeBinary(join(root, "tmp/pki-est-server-new"), "version 2");

    // Version 1 serves and issues.
    let server = await start(root, port);
    const ca1 = await caPem(server.origin);
    const caFile = join(work, "ca1.pem");
    await Deno.writeTextFile(caFile, ca1);
    await enroll(server, work, caFile);
    await stop(server);

    // The upgrade, as the runbook writes it; then version 2's configuration adds a label, and it issues.
    assert.deepEqual(await runBlock(root, runbookBlock("Upgrading")), [
      "stop pki-est-server",
      "start pki-est-server",
    ]);
    await Deno.writeTextFile(join(root, "etc/pki/est/server.toml"), "\n[labels.iot]\n", { append: true });
    server = await start(root, port);
    assert.equal(await caPem(server.origin, "iot/"), ca1);
    const during = await enroll(server, work, caFile, "iot/");
    await stop(server);

    // The rollback, as the runbook writes it.
    assert.deepEqual(await runBlock(root, runbookBlock("Rolling back")), [
      "stop pki-est-server",
      "start pki-est-server",
    ]);
    assert.match(await Deno.readTextFile(join(root, "usr/local/bin/pki-est-server")), /# version 1\n/);
    server = await start(root, port);
    try {
      assert.equal(await caPem(server.origin), ca1, "the same CA serves");
      const label = await curl(`${server.origin}/.well-known/est/iot/cacerts`, { cacert: caFile });
      assert.equal(label.status, 404, "version 1's configuration is back: no iot label");
      await enroll(server, work, caFile);
    } finally {
      await stop(server);
    }
    // The restored store is version 1's: it has not heard of what was issued after the upgrade.
    const unknown = await revoke(root, during);
    assert.equal(unknown.code, 1, unknown.text);
    assert.match(unknown.text, /has not issued a certificate with serial/);
    const failedAudit = await Deno.readTextFile(join(root, "var/lib/pki-est.failed/audit.jsonl"));
    assert.ok(failedAudit.includes(during), "the failed version's audit log lists what it issued");
  },
);
