/**
 * `deno task build`: the server's modules joined by `deno bundle` (code
 * splitting) into dist/build/DIGEST/, which `deno task start` runs.
 *
 * Deno loads each npm package file by file through its CommonJS loader (for
 * every file a path resolution, package.json lookups and a compile), in every
 * isolate: the primary and each listener thread. Joined, the same code loads
 * in a few files, and the ES module builds of the packages are used. What
 * runs is the same code; only how it is loaded changes.
 *
 * DIGEST is the SHA-256 of the sources (deno.json, deno.lock, main.ts, src/),
 * of this tool and of the Deno version: a build is made once per state of them, and a
 * build that exists is used as it is. A build is written to a temporary
 * directory and renamed into place, so a start never sees half of one, and
 * builds are never changed in place: a running server keeps loading its own
 * modules (some load later, such as the configuration on reload). The newest
 * KEPT_BUILDS are kept.
 *
 * `--print-main` prints the entry point to run (`entryToRun`).
 *
 * @module
 */
import { basename, dirname, join, relative } from "node:path";
import { concatChunks } from "../src/encoding/bytes.ts";
import { WORKER_MODULES } from "./runtime_flags.ts";

/** The repository root (this file is in tools/). */
const ROOT = new URL("../", import.meta.url).pathname;

/** The modules a process or thread starts from: the command line's and the threads'. */
export const ENTRY_POINTS: readonly string[] = ["main.ts", ...WORKER_MODULES];

/** Builds kept in dist/build (the newest, by when they were last used). */
export const KEPT_BUILDS = 3;

/** The file that says a build is complete (written last, before the rename). */
const COMPLETE = "BUILD";

/**
 * The SHA-256 (hex) of what a build is made from, under `root`. (Synchronous reads: this runs before
 * every start, and about 250 small files read one after another beat as many promises.)
 */
export async function sourceDigest(root: string): Promise<string> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [encoder.encode(`deno ${Deno.version.deno}\0`)];
  const files = [
    "deno.json",
    "deno.lock",
    "main.ts",
    // How builds are made: a change here makes new ones.
    "tools/build.ts",
    "tools/runtime_flags.ts",
    ...filesUnder(join(root, "src")).map((f) => relative(root, f)),
  ];
  for (const file of files.sort()) {
    let content: Uint8Array;
    try {
      content = Deno.readFileSync(join(root, file));
    } catch {
      continue;
    }
    parts.push(encoder.encode(`${file}\0${content.byteLength}\0`), content);
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concatChunks(parts))).toHex();
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...filesUnder(path));
    else if (entry.isFile) out.push(path);
  }
  return out;
}

/** A build: the main.js to run, and whether this call made it. */
export interface Build {
  dir: string;
  main: string;
  built: boolean;
}

/** The build of the sources under `root` in `outRoot` (default root/dist/build), made when it does not exist. */
export async function ensureBuild(
  root: string = ROOT,
  outRoot = join(root, "dist", "build"),
): Promise<Build> {
  const digest = await sourceDigest(root);
  const dir = join(outRoot, digest.slice(0, 16));
  const main = join(dir, "main.js");
  if (await isComplete(dir)) {
    await markUsed(dir);
    return { dir, main, built: false };
  }
  await Deno.mkdir(outRoot, { recursive: true });
  const staging = join(outRoot, `.staging-${crypto.randomUUID()}`);
  try {
    await bundle(root, staging);
    const output = await outputFiles(staging);
    await placeWorkerModules(staging, output);
    checkReflectPolyfillFirst(staging, output);
    await Deno.writeTextFile(join(staging, COMPLETE), `${digest}\n`);
    await Deno.rename(staging, dir).catch(async (err) => {
      // Another start built the same sources meanwhile: theirs is as good.
      if (!await isComplete(dir)) throw err;
    });
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
  await prune(outRoot, dir);
  return { dir, main, built: true };
}

async function isComplete(dir: string): Promise<boolean> {
  return await Deno.stat(join(dir, COMPLETE)).then((s) => s.isFile, () => false);
}

async function markUsed(dir: string): Promise<void> {
  const now = new Date();
  await Deno.utime(join(dir, COMPLETE), now, now).catch(() => {});
}

async function bundle(root: string, outdir: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--platform",
      "deno",
      "--code-splitting",
      // Left to the runtime: see checkReflectPolyfillFirst.
      "--external",
      "reflect-metadata",
      "--outdir",
      outdir,
      ...ENTRY_POINTS,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!out.success) {
    throw new Error(`deno bundle failed (exit ${out.code}):\n${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** A JavaScript file of the output, with its text. */
interface OutputFile {
  path: string;
  text: string;
}

/** The output's JavaScript files, with their text. */
async function outputFiles(dir: string): Promise<OutputFile[]> {
  const files = filesUnder(dir).filter((f) => f.endsWith(".js"));
  return await Promise.all(files.map(async (path) => ({ path, text: await Deno.readTextFile(path) })));
}

/**
 * The sources start a thread with `new Worker(new URL("./NAME.ts", import.meta.url))`; in the output that
 * URL is resolved next to the chunk that holds the call. There, NAME.ts loads the thread's entry point.
 */
async function placeWorkerModules(dir: string, output: readonly OutputFile[]): Promise<void> {
  const entries = new Map(WORKER_MODULES.map((m) => [basename(m), join(dir, m.replace(/\.ts$/, ".js"))]));
  for (const { path, text } of output) {
    for (
      const [, name] of text.matchAll(/new Worker\(\s*new URL\(\s*"\.\/([\w-]+\.ts)",\s*import\.meta\.url\)/g)
    ) {
      const entry = entries.get(name);
      if (entry === undefined) {
        throw new Error(`${relative(dir, path)} starts a thread from ${name}, no entry point`);
      }
      const target = relative(dirname(path), entry);
      await Deno.writeTextFile(
        join(dirname(path), name),
        `import "${target.startsWith(".") ? target : `./${target}`}";\n`,
      );
    }
  }
}

/**
 * tsyringe (under @peculiar/x509) throws at load unless the Reflect metadata polyfill ran first. The polyfill
 * is left as an import of the output (not joined into it): an import runs before the body of the file that
 * has it, and @peculiar/x509 is reached only through src/pki/x509.ts, which imports the polyfill, so both
 * land in one file. This checks that they did.
 */
function checkReflectPolyfillFirst(dir: string, output: readonly OutputFile[]): void {
  const users = output.filter((f) => f.text.includes("tsyringe requires a reflect polyfill"));
  if (users.length === 0) {
    throw new Error("no output file holds tsyringe: the build is not what this expects");
  }
  for (const { path, text } of users) {
    if (!/^import "reflect-metadata";$/m.test(text)) {
      throw new Error(`${relative(dir, path)} loads tsyringe without importing reflect-metadata`);
    }
  }
}

/** Removes all but the newest KEPT_BUILDS builds (`current` among them) and staging left by a crash. */
export async function prune(outRoot: string, current: string): Promise<void> {
  const dirs: { path: string; used: number }[] = [];
  for await (const entry of Deno.readDir(outRoot)) {
    if (!entry.isDirectory) continue;
    const path = join(outRoot, entry.name);
    if (entry.name.startsWith(".staging-")) {
      const age = Date.now() - ((await Deno.stat(path)).mtime?.getTime() ?? 0);
      if (age > 3_600_000) await Deno.remove(path, { recursive: true }).catch(() => {});
      continue;
    }
    if (path === current) continue;
    const used = await Deno.stat(join(path, COMPLETE)).then((s) => s.mtime?.getTime() ?? 0, () => 0);
    dirs.push({ path, used });
  }
  dirs.sort((a, b) => b.used - a.used);
  for (const { path } of dirs.slice(KEPT_BUILDS - 1)) {
    await Deno.remove(path, { recursive: true }).catch(() => {});
  }
}

/**
 * What a start runs: the build's main.js, made first when needed; or, when
 * building fails, main.ts itself (the reason is logged to stderr), so that a
 * start never fails for want of a build.
 */
export async function entryToRun(root: string = ROOT, outRoot?: string): Promise<string> {
  try {
    return (await ensureBuild(root, outRoot)).main;
  } catch (err) {
    console.error(`warning: no build (${(err as Error).message}); starting from the sources`);
    return join(root, "main.ts");
  }
}

async function run(args: string[]): Promise<number> {
  const unknown = args.filter((a) => a !== "--print-main");
  if (unknown.length > 0) {
    console.error(`usage: deno run -A tools/build.ts [--print-main] (not: ${unknown.join(" ")})`);
    return 2;
  }
  if (args.includes("--print-main")) {
    console.log(await entryToRun());
    return 0;
  }
  const started = performance.now();
  try {
    const build = await ensureBuild();
    const took = `${(performance.now() - started).toFixed(0)} ms`;
    console.log(`${build.built ? "built" : "up to date:"} ${relative(ROOT, build.dir)} (${took})`);
    return 0;
  } catch (err) {
    console.error(`build failed: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await run(Deno.args));
