import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "smol-toml";

/** What a benchmarked server runs with. */
export interface BenchServerOptions {
  keyType: "P-256" | "RSA-2048";
  provider: "auto" | "openssl" | "webcrypto";
  port: number;
  /** Listener threads sharing the port ([server] workers); the configured default when absent. */
  workers?: number;
}

/** The in-memory realm user every load generator authenticates as. */
export const BENCH_USER = { username: "bench", password: "bench-password-1" };

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** A free loopback TCP port (bound, read, released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Writes server.toml for a bench server: local CA, in-memory realm, no external authoriser, loopback, the
 * configured default listener threads unless `workers` is given.
 */
export async function writeBenchConfig(dir: string, options: BenchServerOptions): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const doc = {
    server: {
      bind: `127.0.0.1:${options.port}`,
      state_dir: "state",
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      // The idle-connection measurement opens 1,000 connections from one address.
      max_connections: 2000,
      max_connections_per_ip: 2000,
    },
    metrics: { bind: "127.0.0.1:0" },
    publish: { bind: "127.0.0.1:0" },
    log: { level: "info", format: "json" },
    crypto: { provider: options.provider },
    backend: { class: "local-ca", keyType: options.keyType, subject: `CN=Bench CA ${options.keyType}` },
    realm: { class: "in-memory", ...BENCH_USER, roles: "estclient" },
    // One user on one address at full speed is what the bench measures. The abuse limits stay on (every
    // request is checked) with rates it cannot reach; the issuance quota, counted per requester in the
    // store, is for many devices enrolling now and then, not one at thousands a second.
    limits: {
      enabled: true,
      address_rate: 1_000_000,
      address_burst: 1_000_000,
      principal_rate: 1_000_000,
      principal_burst: 1_000_000,
      issuance_quota: 0,
    },
  };
  await Deno.writeTextFile(join(dir, "server.toml"), stringify(doc));
}

/** A server process started with `deno run -A main.ts serve`. */
export interface ServerProcess extends ReadyProcess {
  /** PEM of the CA chain (for clients that verify). */
  readonly caPem: string;
}

/** Starts the server on `dir`, waits until /ready answers 200 (up to 60 s); the log goes to `dir`/server.log. */
export async function startServerProcess(
  dir: string,
  port: number,
  denoArgs: string[] = [],
  env: Record<string, string> = {},
  main: string = MAIN,
): Promise<ServerProcess> {
  const started = await spawnUntilReady(["run", "-A", ...denoArgs, main, "serve", "--config", dir], {
    log: join(dir, "server.log"),
    port,
    env,
  });
  const caPem = await Deno.readTextFile(join(dir, "state", "local-ca", "ca.cert.pem"));
  return { ...started, caPem };
}

/** A Deno process answering GET /ready on loopback. */
export interface ReadyProcess {
  readonly pid: number;
  readonly port: number;
  /** From spawn to the first 200 from GET /ready. */
  readonly startupMs: number;
  /** VmRSS now, in bytes. */
  rss(): number;
  /** RssAnon now (memory of this process alone: not the runtime's mapped files), in bytes. */
  privateRss(): number;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/** Runs `deno args`, its stderr to `log`, and waits until GET /ready on `port` answers 200 (up to 60 s). */
export async function spawnUntilReady(
  args: string[],
  options: { log: string; port: number; env?: Record<string, string> },
): Promise<ReadyProcess> {
  const log = await Deno.open(options.log, { write: true, create: true, append: true });
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: options.env,
  }).spawn();
  const logged = child.stderr.pipeTo(log.writable);
  const exited = child.status;
  let startupMs = 0;
  for (;;) {
    if (await ready(options.port)) {
      startupMs = performance.now() - started;
      break;
    }
    const early = await Promise.race([exited, delay(5).then(() => undefined)]);
    if (early !== undefined) {
      throw new Error(`${args.join(" ")} exited with ${early.code}; see ${options.log}`);
    }
    if (performance.now() - started > 60_000) throw new Error("the server did not become ready in 60 s");
  }
  return {
    pid: child.pid,
    port: options.port,
    startupMs,
    rss: () => rssOf(child.pid),
    privateRss: () => privateRssOf(child.pid),
    async stop() {
      child.kill("SIGTERM");
      await exited;
      await logged.catch(() => {});
    },
  };
}

/** The crypto provider the server in `dir` last reported at startup ("openssl", "webcrypto"). */
export async function loggedCryptoProvider(dir: string): Promise<string> {
  const log = await Deno.readTextFile(join(dir, "server.log")).catch(() => "");
  let provider = "unknown";
  for (const line of log.split("\n")) {
    try {
      const record = JSON.parse(line);
      if (record.logger === "est.crypto" && typeof record.name === "string") provider = record.name;
    } catch {
      // not a JSON log line
    }
  }
  return provider;
}

/** VmRSS of a process, in bytes (0 once it is gone). */
export function rssOf(pid: number): number {
  return statusBytes(pid, "VmRSS");
}

/** RssAnon of a process: its resident memory less what is mapped from files (the runtime's own text), in bytes. */
export function privateRssOf(pid: number): number {
  return statusBytes(pid, "RssAnon");
}

function statusBytes(pid: number, field: string): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** True when GET /ready answers 200 (any certificate accepted: the CA may not exist yet). */
function ready(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpsGet(
      { host: "127.0.0.1", port, path: "/ready", rejectUnauthorized: false, agent: false, timeout: 1000 },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    request.on("error", () => resolve(false));
    request.on("timeout", () => request.destroy());
  });
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
