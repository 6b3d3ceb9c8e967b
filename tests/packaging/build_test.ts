import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureBuild, entryToRun, KEPT_BUILDS, prune, sourceDigest } from "../../tools/build.ts";
import { defaultConfigCopy, enrollAndVerifyLines } from "../support/installed_server.ts";
import { freePort } from "../support/server_process.ts";
import { tempDir } from "../support/temp.ts";
import { curl } from "../support/curl.ts";

const root = new URL("../../", import.meta.url).pathname;
const opts = { sanitizeOps: false, sanitizeResources: false };

async function write(path: string, text: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("build: the digest follows every source file, and nothing else", async () => {
  const dir = await tempDir({ prefix: "est-build-digest-" });
  await write(join(dir, "deno.json"), "{}");
  await write(join(dir, "main.ts"), "console.log(1);\n");
  await write(join(dir, "src", "a", "b.ts"), "export const b = 1;\n");
  const first = await sourceDigest(dir);
  assert.match(first, /^[0-9a-f]{64}$/);
  assert.equal(await sourceDigest(dir), first, "the same sources, the same digest");
  await write(join(dir, "src", "a", "b.ts"), "export const b = 2;\n");
  const changed = await sourceDigest(dir);
  assert.notEqual(changed, first, "a changed file");
  await write(join(dir, "src", "c.ts"), "");
  const added = await sourceDigest(dir);
  assert.notEqual(added, changed, "an added (even empty) file");
  await write(join(dir, "deno.lock"), "{}");
  const locked = await sourceDigest(dir);
  assert.notEqual(locked, added, "the lock file");
  await write(join(dir, "tools", "build.ts"), "// how builds are made\n");
  assert.notEqual(await sourceDigest(dir), locked, "the build tool");
  await write(join(dir, "README.md"), "not a source");
  await write(join(dir, "tests", "x_test.ts"), "not the server's");
  assert.equal(await sourceDigest(dir), await sourceDigest(dir));
  const before = await sourceDigest(dir);
  await write(join(dir, "tests", "x_test.ts"), "changed, still not the server's");
  assert.equal(await sourceDigest(dir), before, "files outside the server's sources");
});

Deno.test("build: made once per state of the sources, complete, and the polyfill first", opts, async () => {
  const outRoot = await tempDir({ prefix: "est-build-out-" });
  const first = await ensureBuild(root, outRoot);
  assert.equal(first.built, true);
  assert.equal(first.main, join(first.dir, "main.js"));
  const again = await ensureBuild(root, outRoot);
  assert.deepEqual(again, { ...first, built: false }, "the existing build is used as it is");
  // The threads' entry points, and next to the chunks that start them, the modules their URLs name.
  for (const file of ["main.js", "src/ops/worker_thread.js", "src/ops/audit_thread.js", "BUILD"]) {
    assert.ok((await Deno.stat(join(first.dir, file))).isFile, file);
  }
  const names = [...Deno.readDirSync(first.dir)].map((e) => e.name);
  for (const shim of ["worker_thread.ts", "audit_thread.ts"]) assert.ok(names.includes(shim), shim);
  const chunks = names.filter((n) => n.endsWith(".js")).map((n) => Deno.readTextFileSync(join(first.dir, n)));
  const tsyringe = chunks.filter((text) => text.includes("tsyringe requires a reflect polyfill"));
  assert.equal(tsyringe.length, 1);
  assert.match(tsyringe[0], /^import "reflect-metadata";$/m);
  // Nothing of the staging is left behind.
  assert.deepEqual([...Deno.readDirSync(outRoot)].map((e) => e.name), [first.dir.split("/").pop()]);
});

Deno.test("build: only the newest builds are kept, and no staging a crash left", async () => {
  const outRoot = await tempDir({ prefix: "est-build-prune-" });
  const now = Date.now();
  const dirs: string[] = [];
  for (let i = 0; i < KEPT_BUILDS + 2; i++) {
    const dir = join(outRoot, `build${i}`);
    await write(join(dir, "BUILD"), "x\n");
    const used = new Date(now - i * 60_000);
    await Deno.utime(join(dir, "BUILD"), used, used);
    dirs.push(dir);
  }
  const oldStaging = join(outRoot, ".staging-old");
  const newStaging = join(outRoot, ".staging-new");
  await write(join(oldStaging, "main.js"), "");
  await write(join(newStaging, "main.js"), "");
  await Deno.utime(oldStaging, new Date(now - 7_200_000), new Date(now - 7_200_000));
  // The current build is kept whatever its time; with it, the newest others up to KEPT_BUILDS.
  const current = dirs[dirs.length - 1];
  await prune(outRoot, current);
  const left = [...Deno.readDirSync(outRoot)].map((e) => e.name).sort();
  const kept = dirs.slice(0, KEPT_BUILDS - 1).map((d) => d.split("/").pop()!);
  assert.deepEqual(left, [".staging-new", ...kept, current.split("/").pop()!].sort());
});

Deno.test("build: a start falls back to the sources when there can be no build", async () => {
  const dir = await tempDir({ prefix: "est-build-broken-" });
  await write(join(dir, "main.ts"), "import './missing.ts';\n");
  await write(join(dir, "src", "ops", "worker_thread.ts"), "");
  const errors: string[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    assert.equal(await entryToRun(dir, join(dir, "out")), join(dir, "main.ts"));
  } finally {
    console.error = error;
  }
  assert.match(errors.join("\n"), /warning: no build \(deno bundle failed .*\); starting from the sources/s);
});

Deno.test("build: the CLI says what it did and refuses what it does not know", async () => {
  const cli = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tools/build.ts", ...args],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  const built = await cli();
  assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
  assert.match(
    new TextDecoder().decode(built.stdout),
    /^(built|up to date:) dist\/build\/[0-9a-f]{16} \(\d+ ms\)\n$/,
  );
  const printed = await cli("--print-main");
  assert.equal(printed.code, 0);
  assert.match(new TextDecoder().decode(printed.stdout), /\/dist\/build\/[0-9a-f]{16}\/main\.js\n$/);
  const refused = await cli("--fast");
  assert.equal(refused.code, 2);
  assert.match(new TextDecoder().decode(refused.stderr), /usage: .*not: --fast/);
});

Deno.test(
  "build: serves as the sources do: two listener threads, enrollment, audit, metrics and reload",
  opts,
  async () => {
    const main = (await ensureBuild(root)).main;
    const port = freePort();
    const metricsPort = freePort();
    const dir = await defaultConfigCopy(root, port, metricsPort);
    const toml = join(dir, "server.toml");
    await Deno.writeTextFile(
      toml,
      (await Deno.readTextFile(toml)).replace(
        `bind = "127.0.0.1:${port}"`,
        `bind = "127.0.0.1:${port}"\nworkers = 2`,
      ),
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, "serve", "--config", dir],
      cwd: root,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const log: string[] = [];
    const reading = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) log.push(chunk);
    })();
    const url = `https://127.0.0.1:${port}`;
    try {
      let up = false;
      for (let i = 0; i < 300 && !up; i++) {
        up = log.join("").includes("2 listener threads share the port");
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(up, `the build did not start both listeners:\n${log.join("")}`);
      const work = await tempDir({ prefix: "est-build-enroll-" });
      const script = `set -eu\ncd "${work}"\n${enrollAndVerifyLines(url, 6)}\necho ENROLLED`;
      const out = await new Deno.Command("bash", { args: ["-c", script], stdout: "piped", stderr: "piped" })
        .output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.match(new TextDecoder().decode(out.stdout), /ENROLLED/);
      // Both listener threads' metrics, summed by the primary (its own and the thread's over a port).
      const metrics = await curl(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.text, /est_requests_total\{[^}]*operation="simpleenroll"[^}]*\} 6/);
      // The audit writer thread wrote every issuance.
      const audit = await Deno.readTextFile(join(dir, "state", "audit.jsonl")).catch(() => "");
      assert.equal(audit.split("\n").filter((l) => l.includes('"outcome":"issued"')).length, 6, audit);
      // A reload loads the configuration modules (later than the start) from the same build.
      Deno.kill(child.pid, "SIGHUP");
      let reloaded = false;
      for (let i = 0; i < 100 && !reloaded; i++) {
        reloaded = /configuration reloaded/.test(log.join(""));
        if (!reloaded) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(reloaded, log.join(""));
    } finally {
      child.kill("SIGTERM");
      const status = await child.status;
      await reading;
      assert.equal(status.code, 0, log.join(""));
    }
  },
);
