import { join } from "node:path";
import { curl } from "./curl.ts";
import { tempDir } from "./temp.ts";

const main = new URL("../../main.ts", import.meta.url).pathname;

/** A loopback port nothing listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** `main.ts serve` in its own process: its port, its stderr so far, and how it ended. */
export interface ServerProcess {
  child: Deno.ChildProcess;
  port: number;
  origin: string;
  /** Resolves with the exit code and everything written to stderr. */
  finished: Promise<{ code: number; stderr: string }>;
  signal(signal: Deno.Signal): void;
}

/**
 * Starts `main.ts serve --config dir` (whose server.toml must bind 127.0.0.1:`port`)
 * and waits until /health answers over TLS. `fileLimit` lowers its RLIMIT_NOFILE
 * (`ulimit -n` in a shell that then execs the server, so the child's pid is the server's);
 * `env` adds environment variables.
 */
export async function spawnServer(
  dir: string,
  port: number,
  options: { fileLimit?: number; env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const serve = [Deno.execPath(), "run", "-A", main, "serve", "--config", dir];
  const [command, ...args] = options.fileLimit === undefined
    ? serve
    : ["sh", "-c", `ulimit -n ${options.fileLimit} && exec "$0" "$@"`, ...serve];
  const child = new Deno.Command(command, { args, env: options.env, stdout: "null", stderr: "piped" })
    .spawn();
  const stderr = new Response(child.stderr).text();
  const finished = Promise.all([child.status, stderr]).then(([status, text]) => ({
    code: status.code,
    stderr: text,
  }));
  const origin = `https://127.0.0.1:${port}`;
  let exited = false;
  finished.then(() => exited = true);
  for (let i = 0; i < 150 && !exited; i++) {
    if (await curl(`${origin}/health`).then((r) => r.status === 200, () => false)) {
      return { child, port, origin, finished, signal: (s) => child.kill(s) };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!exited) child.kill("SIGKILL");
  throw new Error(`server did not come up: ${(await finished).stderr}`);
}

/**
 * Writes server.toml into a fresh directory: `[server]` with a loopback bind on
 * `port`, one listener thread (unless `serverKeys` sets `workers`) plus `serverKeys`, metrics (and publishing, unless `sections` has it) on port 0, then the `sections` given.
 */
export async function configDirWith(port: number, serverKeys: string, sections: string): Promise<string> {
  const dir = await tempDir({ prefix: "est-process-" });
  // A test that gives [publish] itself chooses its port.
  const publish = sections.includes("[publish]") ? "" : '[publish]\nbind = "127.0.0.1:0"\n';
  // One listener thread unless a test asks for more: tests count connections and descriptors per listener.
  const workers = /^workers\s*=/m.test(serverKeys) ? "" : "workers = 1\n";
  const server = `[server]\nbind = "127.0.0.1:${port}"\nshutdown_grace = 5\n${workers}${serverKeys}\n`;
  await Deno.writeTextFile(
    join(dir, "server.toml"),
    `${server}[metrics]\nbind = "127.0.0.1:0"\n${publish}${sections}`,
  );
  return dir;
}
