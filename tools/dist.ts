/**
 * `deno task dist`: the offline bundle, dist/pki-est-server-VERSION-linux-x64.tar.gz.
 *
 *   pki-est-server-VERSION/
 *     bin/pki-est-server   launcher: the bundled Deno, the bundled cache, the installed flags
 *     lib/deno             the Deno binary of npm's @deno/linux-x64-glibc (this Deno's version)
 *     lib/deno_dir/        DENO_DIR with every module the server loads
 *     app/                 main.ts, deno.json, deno.lock, src/ (build info fixed), and build/: their
 *                          build (tools/build.ts), which the launcher runs
 *     config/              the embedded default configuration and the commented examples
 *     deploy/, docs/       the systemd unit, manifests and dashboards; the documentation
 *
 * `--fast` packs with gzip -1 (about 10% larger, half the time). It runs with no network: the launcher passes --cached-only and its own DENO_DIR.
 */
import { chmod, cp, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { parseArgs } from "node:util";
import { VERSION } from "../src/version.ts";
import { PERMISSION_FLAGS, V8_FLAGS, WORKER_MODULES } from "./runtime_flags.ts";
import { ensureBuild } from "./build.ts";
import { ROOT, stageSource } from "./stage.ts";

/** The npm package whose tarball holds the Deno binary for glibc x86-64 Linux. */
export const DENO_PACKAGE = "@deno/linux-x64-glibc";

/** The launcher script: resolves its own directory and runs the app with the bundled runtime and cache. */
export function launcherScript(): string {
  const flags = [...PERMISSION_FLAGS, V8_FLAGS].join(" ");
  return `#!/bin/sh
# pki-est-server launcher: the bundled Deno runs the bundled app from the bundled module cache, offline.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
export DENO_DIR="$here/lib/deno_dir"
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
exec "$here/lib/deno" run --cached-only --frozen --no-check --config "$here/app/deno.json" \\
  ${flags} "$here/app/build/main.js" "$@"
`;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Unpacks the Deno binary of `npm pack DENO_PACKAGE@version` into `dest`. */
async function fetchDenoBinary(dest: string, work: string): Promise<void> {
  await run("npm", ["pack", `${DENO_PACKAGE}@${Deno.version.deno}`, "--pack-destination", work, "--silent"]);
  const tgz = `deno-linux-x64-glibc-${Deno.version.deno}.tgz`;
  await run("tar", ["-xzf", join(work, tgz), "-C", work, "package/deno"]);
  await cp(join(work, "package", "deno"), dest);
  await chmod(dest, 0o755);
}

/** Builds the bundle tree under `work` and packs it into `output` (gzip level 1 with `fast`, else 6). */
async function dist(output: string, fast: boolean): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "est-dist-"));
  try {
    const name = `pki-est-server-${VERSION}`;
    const top = join(work, name);
    for (const sub of ["bin", "lib/deno_dir", "app"]) await mkdir(join(top, sub), { recursive: true });
    await stageSource(join(top, "app"));
    await fetchDenoBinary(join(top, "lib", "deno"), work);
    // Fill the bundle's cache with the bundled runtime itself, so it holds exactly what that version reads.
    const app = join(top, "app");
    await run(join(top, "lib", "deno"), [
      "cache",
      "--frozen",
      "--config",
      join(app, "deno.json"),
      ...["main.ts", ...WORKER_MODULES].map((m) => join(app, m)),
    ], { DENO_DIR: join(top, "lib", "deno_dir"), DENO_NO_UPDATE_CHECK: "1" });
    await cp(join(ROOT, "config"), join(top, "config"), {
      recursive: true,
      filter: (src) => !src.startsWith(join(ROOT, "config", "state")),
    });
    for (const dir of ["deploy", "docs"]) await cp(join(ROOT, dir), join(top, dir), { recursive: true });
    // What the launcher runs: the build of the staged sources (see tools/build.ts).
    await rename((await ensureBuild(app, join(work, "builds"))).dir, join(app, "build"));
    await writeFile(join(top, "bin", "pki-est-server"), launcherScript(), { mode: 0o755 });
    await mkdir(join(output, ".."), { recursive: true });
    const gzip = `gzip -${fast ? 1 : 6}`;
    await run("tar", ["-I", gzip, "-cf", output, "-C", work, "--owner=0", "--group=0", name]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { output: { type: "string" }, fast: { type: "boolean", default: false } },
  });
  const output = values.output ?? `dist/pki-est-server-${VERSION}-linux-x64.tar.gz`;
  const path = isAbsolute(output) ? output : join(ROOT, output);
  await dist(path, values.fast);
  console.log(path);
}
