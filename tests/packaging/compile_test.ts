import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { defaultConfigCopy, serveAndEnrollScript } from "../support/installed_server.ts";
import { freePort } from "../support/server_process.ts";
import { tempDir } from "../support/temp.ts";
import { denortMissingMessage, isDenortDownloadFailure } from "../../tools/compile.ts";

const root = new URL("../../", import.meta.url).pathname;
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Where `deno compile` keeps a runtime it downloaded before. */
function cachedDenort(): string {
  const info = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" }).outputSync();
  const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  return join(denoDir, "dl", "release", `v${Deno.version.deno}`, "denort-x86_64-unknown-linux-gnu.zip");
}

const denortBin = Deno.env.get("DENORT_BIN") || undefined;
const runtime = denortBin !== undefined && existsSync(denortBin)
  ? `DENORT_BIN=${denortBin}`
  : existsSync(cachedDenort())
  ? `the cached ${cachedDenort()}`
  : undefined;
if (runtime === undefined) {
  console.warn(
    "note: the compiled-binary test is ignored: no Deno runtime for deno compile here " +
      `(DENORT_BIN is not set and ${cachedDenort()} is absent); set DENORT_BIN to run it`,
  );
}

async function compile(output: string, env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(root, "tools", "compile.ts"), "--output", output],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test(
  "compile: without DENORT_BIN and no way to download the runtime, it says to set DENORT_BIN",
  opts,
  async () => {
    const dir = await tempDir({ prefix: "est-compile-" });
    // A proxy that refuses every connection: the download cannot happen, whatever this machine reaches.
    const dead = `http://127.0.0.1:${freePort()}`;
    const res = await compile(join(dir, "bin"), {
      HTTPS_PROXY: dead,
      HTTP_PROXY: dead,
      DENORT_BIN: denortBin ?? "",
    });
    if (runtime !== undefined) {
      assert.equal(res.code, 0, res.stderr);
      return;
    }
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /Set DENORT_BIN to a denort binary of Deno \d+\.\d+\.\d+/);
    assert.match(res.stderr, /deno task dist/);
    assert.doesNotMatch(res.stderr, /Stack backtrace/);
    assert.equal(existsSync(join(dir, "bin")), false);
  },
);

Deno.test("compile: a DENORT_BIN that is not a file is named", opts, async () => {
  const dir = await tempDir({ prefix: "est-compile-" });
  const res = await compile(join(dir, "bin"), { DENORT_BIN: join(dir, "no-such-denort") });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /DENORT_BIN=.*no-such-denort is not a file/);
});

Deno.test(
  "compile: the app and its npm packages embed (the Deno binary stands in for denort; not run)",
  opts,
  async () => {
    // Catches what breaks deno compile before the runtime matters, such as a package file that overflows it.
    const dir = await tempDir({ prefix: "est-compile-" });
    const output = join(dir, "pki-est-server");
    const res = await compile(output, { DENORT_BIN: Deno.execPath() });
    assert.equal(res.code, 0, res.stderr);
    assert.ok((await Deno.stat(output)).size > 50_000_000);
    assert.match(res.stderr, /worker_thread\.ts/);
    assert.match(res.stderr, /audit_thread\.ts/);
    assert.doesNotMatch(res.stderr, /bintrees[^\n]*test/);
  },
);

Deno.test("compile: the download failure is recognised and explained", () => {
  assert.ok(isDenortDownloadFailure("0: Setting up base binary.\n1: error sending request"));
  assert.ok(!isDenortDownloadFailure("error: Module not found"));
  assert.match(
    denortMissingMessage("dns error"),
    /^deno compile could not get its runtime .*: dns error\nSet DENORT_BIN/,
  );
});

Deno.test({
  name: "compile: the binary reports its commit, defaults to /var/lib/pki-est, serves and enrolls",
  ...opts,
  ignore: runtime === undefined,
  async fn() {
    const dir = await tempDir({ prefix: "est-compile-" });
    const binary = join(dir, "pki-est-server");
    const built = await compile(binary, denortBin ? { DENORT_BIN: denortBin } : {});
    assert.equal(built.code, 0, built.stderr);
    const run = (args: string[]) =>
      new Deno.Command(binary, { args, env: { EST_CONFIG_DIR: dir }, stdout: "piped", stderr: "piped" })
        .output();
    const version = new TextDecoder().decode((await run(["--version"])).stdout);
    assert.match(version, /^0\.1\.0 \(commit [0-9a-f]{12}(-dirty)?\)$/m);
    await Deno.writeTextFile(join(dir, "server.toml"), "");
    const effective = new TextDecoder().decode((await run(["check-config"])).stdout);
    assert.match(effective, /state_dir = "\/var\/lib\/pki-est"/);

    const port = freePort();
    const config = await defaultConfigCopy(root, port);
    const out = await new Deno.Command("sh", {
      args: ["-c", serveAndEnrollScript(binary, config, port)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /ENROLLED subject=CN\s?=\s?estuser/);
    assert.match(text, /EXIT 0/);
  },
});
