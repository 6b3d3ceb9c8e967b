/**
 * `deno task compile`: the single binary dist/pki-est-server (or --output
 * PATH), with the installed defaults and the commit built in.
 *
 * `deno compile` joins the app to `denort`, a runtime it downloads unless
 * DENORT_BIN names one. Where the download cannot happen this says so and how
 * to proceed, rather than leaving a bare network error.
 */
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { parseArgs } from "node:util";
import { PERMISSION_FLAGS, V8_FLAGS, WORKER_MODULES } from "./runtime_flags.ts";
import { ROOT, stageSource } from "./stage.ts";

/** Why the runtime could not be had, in words that name the way out. */
export function denortMissingMessage(detail: string): string {
  return [
    `deno compile could not get its runtime (denort ${Deno.version.deno}): ${detail}`,
    `Set DENORT_BIN to a denort binary of Deno ${Deno.version.deno} (from denort-x86_64-unknown-linux-gnu.zip`,
    `of that release), or build the offline bundle instead: deno task dist.`,
  ].join("\n");
}

/**
 * The test directories of the npm packages in `lockFile`, as they are in the
 * module cache: never loaded at run time, and one of them (bintrees' 2 MB
 * perf fixture, via prom-client) overflows deno compile's stack.
 */
export async function npmTestDirs(lockFile: string): Promise<string[]> {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .output();
  const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  const lock = JSON.parse(await readFile(lockFile, "utf8")) as { npm?: Record<string, unknown> };
  const dirs: string[] = [];
  for (const key of Object.keys(lock.npm ?? {})) {
    const [, name, version] = key.match(/^(@?[^@]+)@([^_]+)/)!;
    for (const sub of ["test", "tests"]) {
      const dir = join(denoDir, "npm", "registry.npmjs.org", name, version, sub);
      if (await stat(dir).then((s) => s.isDirectory(), () => false)) dirs.push(dir);
    }
  }
  return dirs;
}

/** True when `deno compile`'s output says the runtime download failed. */
export function isDenortDownloadFailure(stderr: string): boolean {
  return /Setting up base binary|denort-[\w-]+\.zip/.test(stderr);
}

async function compile(output: string): Promise<number> {
  const denort = Deno.env.get("DENORT_BIN") || undefined;
  if (denort !== undefined && !(await Deno.stat(denort).then((s) => s.isFile, () => false))) {
    console.error(
      `DENORT_BIN=${denort} is not a file; point it at a denort binary of Deno ${Deno.version.deno}`,
    );
    return 1;
  }
  if (denort === undefined) Deno.env.delete("DENORT_BIN"); // deno compile reads "" as a path
  const staged = await stageSource();
  await mkdir(dirname(output), { recursive: true });
  try {
    const args = [
      "compile",
      "--no-check",
      ...PERMISSION_FLAGS,
      V8_FLAGS,
      ...WORKER_MODULES.flatMap((m) => ["--include", m]),
      ...(await npmTestDirs(join(staged, "deno.lock"))).flatMap((d) => ["--exclude", d]),
      "--output",
      output,
      "main.ts",
    ];
    const out = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: staged,
      stdout: "inherit",
      stderr: "piped",
    })
      .output();
    const stderr = new TextDecoder().decode(out.stderr);
    if (out.success) {
      console.error(stderr.trimEnd());
      return 0;
    }
    if (denort === undefined && isDenortDownloadFailure(stderr)) {
      const reason = stderr.split("\n").find((l) => /error sending request|dns error|Connect/.test(l));
      console.error(denortMissingMessage((reason ?? "the download failed").replace(/^\s*\d+:\s*/, "")));
    } else {
      console.error(stderr.trimEnd());
    }
    return 1;
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { output: { type: "string" } } });
  const output = values.output ?? "dist/pki-est-server";
  Deno.exit(await compile(isAbsolute(output) ? output : join(ROOT, output)));
}
