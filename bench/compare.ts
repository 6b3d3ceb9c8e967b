import "reflect-metadata";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { enrollmentScript, makeCsrBodies } from "./lib/csrs.ts";
import { goPeerBinary, startGoPeer } from "./lib/go_peer.ts";
import { alternate, type LoadTarget } from "./lib/side_by_side.ts";
import { freePort, type ServerProcess, startServerProcess, writeBenchConfig } from "./lib/server_process.ts";

/**
 * Configurations of this server, and the Go peer when built, under the same keep-alive enrollment load in
 * alternating windows (so a noisy neighbour hits each alike):
 *
 *   deno run -A bench/compare.ts [--seconds 8] [--rounds 3] [--skip-go]
 *     [--ours "NAME|WORKERS|DENO ARGS|ENV=VALUE ...|MAIN.TS"]...
 *
 * WORKERS empty: the configured default; MAIN.TS: another checkout's entry point (default this one).
 */
const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "64" },
    warmup: { type: "string", default: "30" },
    "skip-go": { type: "boolean", default: false },
    ours: { type: "string", multiple: true, default: ["ours||"] },
  },
});
const work = await Deno.makeTempDir({ prefix: "est-compare-" });
const bodies = await makeCsrBodies(work, 8);
const script = enrollmentScript(bodies);
const servers: ServerProcess[] = [];
const targets: LoadTarget[] = [];
for (const spec of values.ours) {
  const [name, workers = "", args = "", env = "", main] = spec.split("|");
  const port = freePort();
  const dir = join(work, name);
  await writeBenchConfig(dir, {
    keyType: "P-256",
    provider: "auto",
    port,
    workers: workers === "" ? undefined : Number(workers),
  });
  const server = await startServerProcess(
    dir,
    port,
    args.split(/\s+/).filter((a) => a),
    Object.fromEntries(env.split(/\s+/).filter((e) => e).map((e) => e.split("=", 2))),
    main || undefined,
  );
  servers.push(server);
  console.log(
    `${name}: startup ${server.startupMs.toFixed(0)} ms, idle RSS ${(server.rss() / 2 ** 20).toFixed(0)} MB`,
  );
  targets.push({
    name,
    pid: server.pid,
    url: `https://127.0.0.1:${port}/.well-known/est/simpleenroll`,
    rss: server.rss,
  });
}
const binary = values["skip-go"] ? undefined : goPeerBinary();
const go = binary ? await startGoPeer(binary, join(work, "go"), freePort()) : undefined;
if (go) {
  targets.push({
    name: "go",
    pid: go.pid,
    url: `https://127.0.0.1:${go.port}/.well-known/est/simpleenroll`,
    rss: go.rss,
  });
}
try {
  const windows = await alternate(targets, {
    script,
    dir: work,
    connections: Number(values.connections),
    seconds: Number(values.seconds),
    warmupSeconds: Number(values.warmup),
    rounds: Number(values.rounds),
  });
  for (const w of windows) {
    const e = w.wrk.errors;
    console.log(
      `${w.name.padEnd(10)} ${w.wrk.requestsPerSecond.toFixed(0).padStart(6)}/s  p99 ${
        (w.wrk.latencyUs.p99 / 1000).toFixed(1)
      } ms  cpu ${w.cpuUsPerRequest.toFixed(0)} us/req  cores ${w.cores.toFixed(2)}  rss ${
        (w.rssPeak / 2 ** 20).toFixed(0)
      } MB  errors ${e.connect + e.read + e.write + e.status + e.timeout}`,
    );
  }
} finally {
  for (const server of servers) await server.stop();
  await go?.stop();
  await Deno.remove(work, { recursive: true });
}
