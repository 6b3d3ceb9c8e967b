import { join } from "node:path";
import { parseArgs } from "node:util";
import { makeCsrBodies } from "./lib/csrs.ts";
import { enrollOnNewConnections } from "./lib/new_connections.ts";
import { BENCH_USER, freePort, startServerProcess, writeBenchConfig } from "./lib/server_process.ts";

/**
 * Checkouts of this server side by side, one start at a time in alternation (so a noisy neighbour hits each
 * alike): startup to /ready with an existing state dir, then sequential enrollments each on a new connection.
 *
 *   deno run -A bench/compare_starts.ts [--rounds 10] [--requests 300] [--workers N] MAIN.TS...
 *
 * The server runs with the V8 flags of `deno task start`; `--requests 0` measures startup alone.
 */
const { values, positionals: mains } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "10" },
    requests: { type: "string", default: "300" },
    workers: { type: "string" },
  },
});
if (mains.length === 0) throw new Error("name at least one main.ts");
const flags = [
  "--v8-flags=--max-old-space-size=64,--max-semi-space-size=8,--single-threaded-gc,--initial-old-space-size=32",
];
const requests = Number(values.requests);
const work = await Deno.makeTempDir({ prefix: "est-compare-starts-" });
const dirs = new Map<string, { dir: string; port: number }>();
for (const [i, main] of mains.entries()) {
  const dir = join(work, String(i));
  const port = freePort();
  await writeBenchConfig(dir, {
    keyType: "P-256",
    provider: "auto",
    port,
    workers: values.workers === undefined ? undefined : Number(values.workers),
  });
  await (await startServerProcess(dir, port, flags, {}, main)).stop(); // creates the state
  dirs.set(main, { dir, port });
}
const [body] = await makeCsrBodies(work, 1);
const startups = new Map<string, number[]>(mains.map((m) => [m, []]));
const newConnectionP50s = new Map<string, number[]>(mains.map((m) => [m, []]));
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const main of mains) {
      const { dir, port } = dirs.get(main)!;
      const server = await startServerProcess(dir, port, flags, {}, main);
      startups.get(main)!.push(server.startupMs);
      if (requests > 0) {
        const run = await enrollOnNewConnections({
          url: `https://127.0.0.1:${port}/.well-known/est/simpleenroll`,
          dir,
          caPem: server.caPem,
          user: `${BENCH_USER.username}:${BENCH_USER.password}`,
          body,
          requests,
          parallel: 1,
        });
        if (run.errors > 0) throw new Error(`${main}: ${run.errors} enrollments failed`);
        newConnectionP50s.get(main)!.push(run.latencyMs.p50);
      }
      await server.stop();
    }
  }
} finally {
  await Deno.remove(work, { recursive: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const list = (xs: number[], digits: number) => xs.map((x) => x.toFixed(digits)).join(" ");
for (const main of mains) {
  const s = startups.get(main)!;
  console.log(`${main}\n  startup to /ready: median ${median(s).toFixed(0)} ms (${list(s, 0)})`);
  const n = newConnectionP50s.get(main)!;
  if (n.length > 0) console.log(`  new-connection p50: median ${median(n).toFixed(2)} ms (${list(n, 2)})`);
}
