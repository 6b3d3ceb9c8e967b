import assert from "node:assert/strict";
import { join } from "node:path";
import { launcherScript } from "../../tools/dist.ts";
import { PERMISSION_FLAGS } from "../../tools/runtime_flags.ts";
import { defaultConfigCopy, serveAndEnrollScript } from "../support/installed_server.ts";
import { freePort } from "../support/server_process.ts";
import { tempDir } from "../support/temp.ts";
import { hasTool } from "../support/tools.ts";

const root = new URL("../../", import.meta.url).pathname;
const opts = { sanitizeOps: false, sanitizeResources: false };
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** True when this process may make a network namespace of its own (root, util-linux unshare, iproute2). */
function canIsolateNetwork(): boolean {
  if (!hasTool("unshare") || !hasTool("ip")) return false;
  const probe = new Deno.Command("unshare", { args: ["-n", "true"], stderr: "null" }).outputSync();
  return probe.success;
}

Deno.test("dist: the launcher runs the bundled Deno offline with the installed permissions, not -A", () => {
  const script = launcherScript();
  assert.match(script, /^#!\/bin\/sh\n/);
  assert.match(script, /--cached-only/);
  assert.match(script, /DENO_DIR="\$here\/lib\/deno_dir"/);
  for (const flag of PERMISSION_FLAGS) assert.ok(script.includes(flag), flag);
  assert.doesNotMatch(script, / -A | --allow-all/);
});

Deno.test(
  "dist: the bundle unpacked elsewhere serves and enrolls with no network and an empty DENO_DIR",
  opts,
  async () => {
    const dir = await tempDir({ prefix: "est-dist-" });
    const tarball = join(dir, "bundle.tar.gz");
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(root, "tools", "dist.ts"), "--output", tarball, "--fast"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(built.code, 0, decode(built.stderr));
    const unpacked = join(dir, "opt");
    await Deno.mkdir(unpacked);
    const untar = await new Deno.Command("tar", { args: ["-xzf", tarball, "-C", unpacked] }).output();
    assert.ok(untar.success);
    const [top] = [...Deno.readDirSync(unpacked)].map((e) => e.name);
    assert.match(top, /^pki-est-server-\d+\.\d+\.\d+$/);
    for (
      const part of [
        "bin/pki-est-server",
        "lib/deno",
        "lib/deno_dir",
        "app/main.ts",
        "app/build/main.js",
        "config/server.toml",
        "deploy/systemd/pki-est-server.service",
        "docs/installation.md",
      ]
    ) {
      assert.ok(Deno.statSync(join(unpacked, top, part)), part);
    }

    const emptyDenoDir = join(dir, "empty-deno-dir");
    await Deno.mkdir(emptyDenoDir);
    const port = freePort();
    const config = await defaultConfigCopy(root, port);
    const launcher = join(unpacked, top, "bin", "pki-est-server");
    const script = `${launcher} --version\n${serveAndEnrollScript(launcher, config, port)}`;
    // A network namespace of its own has only loopback; without one, every proxy variable points nowhere.
    const isolated = canIsolateNetwork();
    console.log(
      `offline bundle run ${isolated ? "in a network namespace with only loopback" : "with dead proxies"}`,
    );
    const dead = `http://127.0.0.1:${freePort()}`;
    const out = await new Deno.Command(isolated ? "unshare" : "sh", {
      args: isolated ? ["-n", "sh", "-c", `ip link set lo up\n${script}`] : ["-c", script],
      clearEnv: true,
      env: {
        PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        HOME: dir,
        DENO_DIR: emptyDenoDir,
        ...(isolated ? {} : { HTTPS_PROXY: dead, HTTP_PROXY: dead, NPM_CONFIG_REGISTRY: dead }),
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = decode(out.stdout);
    assert.equal(out.code, 0, `${text}\n${decode(out.stderr)}`);
    assert.match(text, /^0\.1\.0 \(commit [0-9a-f]{12}(-dirty)?\)$/m);
    assert.match(text, /ENROLLED subject=CN\s?=\s?estuser/);
    assert.match(text, /EXIT 0/);
    assert.deepEqual([...Deno.readDirSync(emptyDenoDir)], [], "nothing was fetched into DENO_DIR");
  },
);
