import { BUILD_INFO } from "./build_info.ts";

/** The server's version, reported by /health and `--version`. */
export const VERSION = "0.1.0";

/**
 * The commit this code came from: fixed in a build, else asked of git in the
 * source tree ("unknown" when that is not a git checkout).
 */
export function buildCommit(): string {
  if (BUILD_INFO.commit !== undefined) return BUILD_INFO.commit;
  try {
    const out = new Deno.Command("git", {
      args: ["rev-parse", "--short=12", "HEAD"],
      cwd: new URL(".", import.meta.url).pathname,
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "unknown";
  } catch {
    return "unknown";
  }
}
