import "reflect-metadata";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { enrollmentScript, makeCsrBodies } from "./lib/csrs.ts";
import { holdIdleConnections } from "./lib/idle_connections.ts";
import { enrollOnNewConnections } from "./lib/new_connections.ts";
import { enrollmentCeiling, measureCryptoCeiling } from "./lib/openssl_speed.ts";
import { type GoPeer, goPeerBinary, startGoPeer } from "./lib/go_peer.ts";
import {
  type BenchResults,
  describeMachine,
  type FloorRun,
  type KeepAliveRun,
  median,
  type ServerRun,
  type SideBySide,
  writeResults,
} from "./lib/report.ts";
import {
  alternate,
  atOnce,
  type LoadTarget,
  type LoadWindow,
  measureWindow,
  pooledCpuUsPerRequest,
} from "./lib/side_by_side.ts";
import {
  BENCH_USER,
  delay,
  freePort,
  loggedCryptoProvider,
  type ServerProcess,
  startServerProcess,
  writeBenchConfig,
} from "./lib/server_process.ts";
import { luaScript, runWrk } from "./lib/wrk.ts";
import { startFloorServer } from "./lib/runtime_floor.ts";
import { ensureBuild } from "../tools/build.ts";

/**
 * The load benchmark (`deno task bench` runs it, then the micro-benchmarks):
 * the server as a separate process on loopback (local CA, in-memory realm, no
 * external authoriser), driven by wrk and curl, with the crypto ceiling of
 * the same machine measured in the same run, and the globalsign/est Go server
 * under the same load in alternating windows when it has been built. Server
 * CPU is utime+stime from /proc over each window. Writes bench/results.md and
 * bench/results.json. About five minutes; --quick for a smoke run.
 *
 *   deno run -A bench/run.ts [--quick] [--provider auto|openssl|webcrypto]
 */
const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    provider: { type: "string", default: "auto" },
  },
});
const quick = values.quick;
const provider = values.provider as Provider;
type Provider = "auto" | "openssl" | "webcrypto";

/** What `deno task start` runs: the build of the sources (made here when there is none yet). */
const ENTRY = (await ensureBuild()).main;
const SOURCES = new URL("../main.ts", import.meta.url).pathname;
const BUILD_TOOL = new URL("../tools/build.ts", import.meta.url).pathname;

/** The Deno options of `deno task start` (its V8 heap limits): what the default rows run with. */
const START_ARGS = startTaskDenoArgs();

function startTaskDenoArgs(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  return (config.tasks.start as string).split(/\s+/).filter((arg) => arg.startsWith("--v8-flags="));
}

/** One server configuration to measure: everything, or keep-alive load and memory only. */
interface Variant {
  caKey: "P-256" | "RSA-2048";
  provider: Provider;
  denoArgs: string[];
  scope: "full" | "basic" | "load";
  /** Listener threads; the configured default ("auto": one per CPU) when absent. */
  workers?: number;
  /** Measure the 64-connection load side by side with the Go server. */
  versusPeer?: boolean;
}
const seconds = (full: number) => (quick ? 1 : full);
/**
 * JIT warm-up before measuring. Under the 64-connection load the runtime's compiler threads spend 53, 29, 26,
 * 14 and then a steady 11 µs of CPU per enrollment in successive 8 s windows: the server is in its steady state
 * after about 32 s of load, which the warm-up and the runs before the side-by-side windows add up to.
 */
const WARMUP_SECONDS = 30;
/** Alternating windows of this server and the Go server. */
const PEER_ROUNDS = 3;
/** Connections each server gets when both are loaded at once (64 between them, as in the alternating windows). */
const AT_ONCE_CONNECTIONS = 32;
const count = (full: number) => (quick ? Math.ceil(full / 10) : full);

const benchDir = import.meta.dirname!;
const work = await Deno.makeTempDir({ prefix: "est-bench-" });
const bodies = await makeCsrBodies(work, 8);
const enrollScript = enrollmentScript(bodies);
const getScript = luaScript({});

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

/** Samples each of `samples` every 200 ms while `during` runs; returns the largest value each gave. */
async function peaksWhile(samples: (() => number)[], during: Promise<unknown>): Promise<number[]> {
  const peaks = samples.map((sample) => sample());
  let running = true;
  during.finally(() => running = false).catch(() => {});
  while (running) {
    samples.forEach((sample, i) => peaks[i] = Math.max(peaks[i], sample()));
    await delay(200);
  }
  await during;
  return peaks;
}

/** Server start times: the first start (creates the CA), then `restarts` starts on the existing state dir. */
async function startupTimes(
  dir: string,
  port: number,
  restarts: number,
  denoArgs: string[],
  main = ENTRY,
): Promise<{ first: number; existing: number[] }> {
  const first = await startServerProcess(dir, port, denoArgs, {}, main);
  await first.stop();
  const existing: number[] = [];
  for (let i = 0; i < restarts; i++) {
    const server = await startServerProcess(dir, port, denoArgs, {}, main);
    existing.push(server.startupMs);
    await server.stop();
  }
  return { first: first.startupMs, existing };
}

/** RSS 1 s after ready, started from the build and from the sources in turn, `rounds` times each. */
async function idleRssBuildAndSources(
  dir: string,
  port: number,
  denoArgs: string[],
  rounds: number,
): Promise<{ build: number[]; sources: number[] }> {
  const rss = { build: [] as number[], sources: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    for (const [key, main] of [["build", ENTRY], ["sources", SOURCES]] as const) {
      const server = await startServerProcess(dir, port, denoArgs, {}, main);
      await delay(1000);
      rss[key].push(server.rss());
      await server.stop();
    }
  }
  return rss;
}

/** Wall times of `deno run -A tools/build.ts --print-main` with the build up to date: what `deno task start` runs first. */
async function buildCheckTimes(count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", BUILD_TOOL, "--print-main"],
      stdout: "piped",
      stderr: "null",
    }).output();
    times.push(performance.now() - started);
    if (new TextDecoder().decode(out.stdout).trim() !== ENTRY) {
      throw new Error("the build check named another entry");
    }
  }
  return times;
}

function targetOf(server: ServerProcess): LoadTarget {
  return {
    name: "this server",
    pid: server.pid,
    url: `https://127.0.0.1:${server.port}/.well-known/est/simpleenroll`,
    rss: () => server.rss(),
  };
}

function keepAliveRun(window: LoadWindow): KeepAliveRun {
  return { ...window.wrk, cpuUsPerRequest: window.cpuUsPerRequest, cores: window.cores };
}

function logWindow(window: LoadWindow): void {
  log(
    `  ${window.name}, ${window.wrk.connections} keep-alive connections: ${
      window.wrk.requestsPerSecond.toFixed(0)
    }/s, p99 ${(window.wrk.latencyUs.p99 / 1000).toFixed(1)} ms, ${
      window.cpuUsPerRequest.toFixed(0)
    } µs CPU per enrollment`,
  );
}

async function keepAlive(
  server: ServerProcess,
  connections: number,
  duration: number,
): Promise<KeepAliveRun> {
  const window = await measureWindow(targetOf(server), {
    script: enrollScript,
    dir: work,
    connections,
    seconds: duration,
  });
  logWindow(window);
  return keepAliveRun(window);
}

/** The 64-connection load on this server and the Go server in alternating windows; the median of each. */
async function versusPeer(server: ServerProcess, peer: GoPeer): Promise<SideBySide> {
  const goTarget: LoadTarget = {
    name: "Go server",
    pid: peer.pid,
    url: `https://127.0.0.1:${peer.port}/.well-known/est/simpleenroll`,
    rss: () => peer.rss(),
  };
  const windows = await alternate([targetOf(server), goTarget], {
    script: enrollScript,
    dir: work,
    connections: 64,
    seconds: seconds(8),
    warmupSeconds: 0,
    rounds: quick ? 1 : PEER_ROUNDS,
  });
  windows.forEach(logWindow);
  const ours = windows.filter((w) => w.name === "this server");
  const go = windows.filter((w) => w.name === "Go server");
  const both = await atOnce([targetOf(server), goTarget], {
    script: enrollScript,
    dir: work,
    connections: AT_ONCE_CONNECTIONS,
    seconds: seconds(8),
    rounds: quick ? 1 : PEER_ROUNDS,
  });
  both.flat().forEach(logWindow);
  return {
    rounds: ours.length,
    windows: windows.map((w) => ({ name: w.name, run: keepAliveRun(w), rssPeak: w.rssPeak })),
    ours: keepAliveRun(medianWindow(ours)),
    go: keepAliveRun(medianWindow(go)),
    atOnce: {
      connections: AT_ONCE_CONNECTIONS,
      windows: both.map((round) => round.map((w) => ({ name: w.name, run: keepAliveRun(w) }))),
      oursCpuUsPerRequest: pooledCpuUsPerRequest(both, "this server"),
      goCpuUsPerRequest: pooledCpuUsPerRequest(both, "Go server"),
    },
  };
}

function medianWindow(windows: LoadWindow[]): LoadWindow {
  const sorted = [...windows].sort((a, b) => a.wrk.requestsPerSecond - b.wrk.requestsPerSecond);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * The runtime's floor beside a server with `listeners` listener threads (bench/lib/floor_server.ts): its start
 * and the server's (`startServer`), three times each in turn, its memory 1 s after ready and under the same
 * 64-connection load, and its CPU per request.
 */
async function measureFloor(
  listeners: number,
  denoArgs: string[],
  startServer: () => Promise<ServerProcess>,
): Promise<FloorRun> {
  const dir = join(work, "floor");
  const port = freePort();
  const startup = { floor: [] as number[], server: [] as number[] };
  for (let i = 0; i < 3; i++) {
    const starts = [
      async () => {
        const floor = await startFloorServer(dir, port, listeners, denoArgs);
        startup.floor.push(floor.startupMs);
        await floor.stop();
      },
      async () => {
        const server = await startServer();
        startup.server.push(server.startupMs);
        await server.stop();
      },
    ];
    for (const start of i % 2 === 0 ? starts : starts.reverse()) await start();
  }
  const floor = await startFloorServer(dir, port, listeners, denoArgs);
  try {
    await delay(1000);
    const idle = floor.rss();
    const idlePrivate = floor.privateRss();
    const target: LoadTarget = {
      name: "runtime floor",
      pid: floor.pid,
      url: `https://127.0.0.1:${port}/.well-known/est/simpleenroll`,
      rss: () => floor.rss(),
    };
    await measureWindow(target, { script: enrollScript, dir: work, connections: 64, seconds: seconds(3) });
    let load!: LoadWindow;
    const [underLoad, underLoadPrivate] = await peaksWhile(
      [() => floor.rss(), () => floor.privateRss()],
      measureWindow(target, { script: enrollScript, dir: work, connections: 64, seconds: seconds(8) })
        .then((w) => load = w),
    );
    logWindow(load);
    log(
      `  runtime floor: start ${median(startup.floor).toFixed(0)} ms (this server in turn ${
        median(startup.server).toFixed(0)
      }), RSS idle ${(idle / 2 ** 20).toFixed(0)} MB`,
    );
    return {
      listeners,
      startup,
      rss: { idle, idlePrivate, underLoad, underLoadPrivate },
      load: keepAliveRun(load),
    };
  } finally {
    await floor.stop();
  }
}

async function benchServer(variant: Variant): Promise<ServerRun> {
  const { caKey, provider, denoArgs, scope } = variant;
  const workers = variant.workers ?? navigator.hardwareConcurrency;
  const full = scope === "full";
  const server_ = denoArgs.length > 0 ? ` (deno ${denoArgs.join(" ")})` : "";
  log(`${caKey} CA, provider ${provider}, ${workers} listener thread(s)${server_}`);
  const dir = join(work, `${caKey}-${provider}-${crypto.randomUUID().slice(0, 8)}`);
  const port = freePort();
  await writeBenchConfig(dir, { keyType: caKey, provider, port, workers: variant.workers });
  const startup: ServerRun["startup"] = await startupTimes(dir, port, full ? 3 : 1, denoArgs);
  if (full) {
    startup.fromSources = (await startupTimes(dir, port, 3, denoArgs, SOURCES)).existing;
    startup.idleRss = await idleRssBuildAndSources(dir, port, denoArgs, 3);
    startup.buildCheck = await buildCheckTimes(3);
  }
  const floor = full
    ? await measureFloor(workers, denoArgs, () => startServerProcess(dir, port, denoArgs, {}, ENTRY))
    : undefined;
  log(
    `  startup: first ${startup.first.toFixed(0)} ms, existing state ${
      startup.existing.map((m) => m.toFixed(0)).join(", ")
    } ms`,
  );
  const server = await startServerProcess(dir, port, denoArgs, {}, ENTRY);
  try {
    await delay(1000);
    const rssIdle = server.rss();
    const privateIdle = server.privateRss();
    const active = await loggedCryptoProvider(dir);
    const url = `https://127.0.0.1:${port}/.well-known/est`;
    await runWrk({
      url: `${url}/simpleenroll`,
      script: enrollScript,
      dir: work,
      connections: 64,
      seconds: seconds(WARMUP_SECONDS),
    });
    const keepAliveRuns: KeepAliveRun[] = [];
    for (const c of scope === "load" ? [] : full ? [1, 16] : [1]) {
      keepAliveRuns.push(await keepAlive(server, c, seconds(5)));
    }
    let sideBySide: SideBySide | undefined;
    let loaded!: KeepAliveRun;
    const load = (variant.versusPeer && peer
      ? versusPeer(server, peer).then((s) =>
        (sideBySide = s).ours
      )
      : keepAlive(server, 64, seconds(8))).then((r) => loaded = r);
    const [rssUnderLoad, privateUnderLoad] = await peaksWhile(
      [() => server.rss(), () => server.privateRss()],
      load,
    );
    keepAliveRuns.push(loaded);
    const sequential = scope === "load" ? undefined : await enrollOnNewConnections({
      url: `${url}/simpleenroll`,
      dir: work,
      caPem: server.caPem,
      user: `${BENCH_USER.username}:${BENCH_USER.password}`,
      body: bodies[0],
      requests: count(full ? 300 : 100),
      parallel: 1,
    });
    if (sequential) log(`  new connection, sequential: p50 ${sequential.latencyMs.p50.toFixed(1)} ms`);
    const parallel = full
      ? await enrollOnNewConnections({
        url: `${url}/simpleenroll`,
        dir: work,
        caPem: server.caPem,
        user: `${BENCH_USER.username}:${BENCH_USER.password}`,
        body: bodies[0],
        requests: count(600),
        parallel: 16,
      })
      : undefined;
    if (parallel) log(`  new connection, 16 at a time: ${parallel.requestsPerSecond.toFixed(0)}/s`);
    const cacerts = full
      ? await runWrk({
        url: `${url}/cacerts`,
        script: getScript,
        dir: work,
        connections: 64,
        seconds: seconds(4),
      })
      : undefined;
    if (cacerts) log(`  cacerts: ${cacerts.requestsPerSecond.toFixed(0)}/s`);
    await delay(1000);
    const rssAfterLoad = server.rss();
    const idle = scope !== "basic"
      ? await holdIdleConnections({
        port,
        count: count(1000),
        caPem: server.caPem,
        dir: work,
        rss: () => server.rss(),
      })
      : undefined;
    if (idle) log(`  ${idle.connections} idle connections: RSS ${(idle.rssHolding / 2 ** 20).toFixed(0)} MB`);
    return {
      caKey,
      provider: provider === "auto" ? `auto (${active})` : active,
      denoArgs,
      workers,
      startup,
      rss: {
        idle: rssIdle,
        underLoad: rssUnderLoad,
        afterLoad: rssAfterLoad,
        idleConnections: idle,
        idlePrivate: privateIdle,
        underLoadPrivate: privateUnderLoad,
      },
      keepAlive: keepAliveRuns,
      newConnection: { sequential, parallel },
      cacerts,
      sideBySide,
      floor,
    };
  } finally {
    await server.stop();
  }
}

const started = performance.now();
log("crypto ceiling (openssl speed)");
const ceiling = await measureCryptoCeiling(quick ? 1 : 2);
const peerBinary = goPeerBinary();
const peer = peerBinary ? await startGoPeer(peerBinary, join(work, "go-peer"), freePort()) : undefined;
log(peer ? `Go server: ${peerBinary}` : "Go server: not built on this machine; no side-by-side figures");
const variants: Variant[] = quick
  ? [{ caKey: "P-256", provider, denoArgs: START_ARGS, scope: "full", versusPeer: true }]
  : [
    { caKey: "P-256", provider, denoArgs: START_ARGS, scope: "full", versusPeer: true },
    { caKey: "P-256", provider, denoArgs: START_ARGS, scope: "load", workers: 1 },
    { caKey: "RSA-2048", provider, denoArgs: START_ARGS, scope: "basic" },
    { caKey: "P-256", provider: "webcrypto", denoArgs: START_ARGS, scope: "load" },
    { caKey: "P-256", provider, denoArgs: [], scope: "load" },
  ];
const runs: ServerRun[] = [];
try {
  for (const variant of variants) runs.push(await benchServer(variant));
} finally {
  await peer?.stop();
}
const results: BenchResults = {
  date: new Date().toISOString(),
  ...await describeMachine(),
  command: "deno task bench",
  durationSeconds: (performance.now() - started) / 1000,
  quick,
  goPeer: peer !== undefined,
  ceiling,
  ceilingEnrollments: {
    "P-256": enrollmentCeiling(ceiling, "P-256"),
    "RSA-2048": enrollmentCeiling(ceiling, "RSA-2048"),
  },
  runs,
};
await writeResults(benchDir, results);
await Deno.remove(work, { recursive: true });
log(`done in ${results.durationSeconds.toFixed(0)} s: bench/results.md, bench/results.json`);
