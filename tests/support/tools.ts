/**
 * Runs external programs (openssl, curl, strongSwan pki) the way the tests
 * use them. A test that needs a tool nobody installed is ignored with a note,
 * except when EST_REQUIRE_TOOLS=1 (as in CI), where a missing tool fails.
 */

export interface RunResult {
  code: number;
  stdout: Uint8Array<ArrayBuffer>;
  stderr: string;
  text: string;
}

/** Runs `cmd args...`, feeding `stdin` if given; never throws on a non-zero exit. */
export async function run(
  cmd: string,
  args: string[],
  stdin?: Uint8Array<ArrayBuffer> | string,
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: new TextDecoder().decode(out.stderr),
    text: new TextDecoder().decode(out.stdout),
  };
}

/** Runs a command that must succeed; throws with its stderr otherwise. */
export async function runOk(
  cmd: string,
  args: string[],
  stdin?: Uint8Array<ArrayBuffer> | string,
): Promise<RunResult> {
  const result = await run(cmd, args, stdin);
  if (result.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return result;
}

const available = new Map<string, boolean>();

/** True when `cmd` can be run; the answer is cached. */
export function hasTool(cmd: string): boolean {
  if (!available.has(cmd)) {
    try {
      new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`] }).outputSync().success
        ? available.set(cmd, true)
        : available.set(cmd, false);
    } catch {
      available.set(cmd, false);
    }
  }
  return available.get(cmd)!;
}

/** `ignore` option for Deno.test: skip when the tool is missing, unless tools are required. */
export function unlessTool(cmd: string): boolean {
  const missing = !hasTool(cmd);
  if (missing && Deno.env.get("EST_REQUIRE_TOOLS") === "1") {
    throw new Error(`EST_REQUIRE_TOOLS=1 but "${cmd}" is not installed`);
  }
  if (missing) console.warn(`note: "${cmd}" is not installed; its tests are ignored`);
  return missing;
}
