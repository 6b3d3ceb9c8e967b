import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The repository root (this file is in tools/). */
export const ROOT = new URL("../", import.meta.url).pathname;

/** What an installed build uses as `[server] state_dir` when server.toml does not set one. */
export const INSTALLED_STATE_DIR = "/var/lib/pki-est";

/**
 * The checked-out commit (12 hex digits, "-dirty" when the tree has changes),
 * EST_BUILD_COMMIT when set (a container build has no .git), else "unknown".
 */
export async function gitCommit(): Promise<string> {
  const given = Deno.env.get("EST_BUILD_COMMIT");
  if (given) return given;
  const git = (...args: string[]) =>
    new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" }).output();
  try {
    const head = await git("rev-parse", "--short=12", "HEAD");
    if (!head.success) return "unknown";
    const status = await git("status", "--porcelain", "--untracked-files=no");
    const dirty = new TextDecoder().decode(status.stdout).trim() !== "";
    return new TextDecoder().decode(head.stdout).trim() + (dirty ? "-dirty" : "");
  } catch {
    return "unknown";
  }
}

/**
 * Copies what the server is made of (main.ts, deno.json, deno.lock, src/)
 * into `dest` (a new temporary directory when not given) and fixes the build
 * info there: the commit, and the installed state directory.
 */
export async function stageSource(dest?: string): Promise<string> {
  const dir = dest ?? await mkdtemp(join(tmpdir(), "est-stage-"));
  for (const name of ["main.ts", "deno.json", "deno.lock", "src"]) {
    await cp(join(ROOT, name), join(dir, name), { recursive: true });
  }
  const info = { commit: await gitCommit(), defaultStateDir: INSTALLED_STATE_DIR };
  const file = join(dir, "src", "build_info.ts");
  const source = await readFile(file, "utf8");
  const fixed = source.replace(
    /export const BUILD_INFO: BuildInfo = .*;/,
    () => `export const BUILD_INFO: BuildInfo = ${JSON.stringify(info)};`,
  );
  if (fixed === source) throw new Error(`${file}: no BUILD_INFO line to fix`);
  await writeFile(file, fixed);
  return dir;
}
