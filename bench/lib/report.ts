import { join } from "node:path";
import type { IdleConnectionsResult } from "./idle_connections.ts";
import type { NewConnectionResult } from "./new_connections.ts";
import type { CryptoCeiling } from "./openssl_speed.ts";
import type { WrkResult } from "./wrk.ts";

/** A keep-alive load window, with the server's CPU over it (utime+stime from /proc, all threads). */
export type KeepAliveRun = WrkResult & { cpuUsPerRequest?: number; cores?: number };

/** This server and the globalsign/est Go server (mock CA) under the same load, in alternating windows. */
export interface SideBySide {
  rounds: number;
  windows: { name: string; run: KeepAliveRun; rssPeak: number }[];
  /** The median window (by throughput) of each. */
  ours: KeepAliveRun;
  go: KeepAliveRun;
  /** Both under load at the same time (see atOnce in bench/lib/side_by_side.ts). */
  atOnce?: {
    connections: number;
    windows: { name: string; run: KeepAliveRun }[][];
    /** CPU µs per enrollment over every window of each, pooled. */
    oursCpuUsPerRequest: number;
    goCpuUsPerRequest: number;
  };
}

/**
 * The runtime's floor set beside a server (bench/lib/floor_server.ts): an HTTPS server on the same runtime
 * with the same options and threads that answers every request with a fixed body.
 */
export interface FloorRun {
  listeners: number;
  /** Milliseconds from spawn to the first answer: the floor's starts and the server's, taken in turn. */
  startup: { floor: number[]; server: number[] };
  /** VmRSS and RssAnon 1 s after ready, and their peaks under the 64-connection load. */
  rss: { idle: number; idlePrivate: number; underLoad: number; underLoadPrivate: number };
  load: KeepAliveRun;
}

/** Everything measured for one server configuration. */
export interface ServerRun {
  caKey: "P-256" | "RSA-2048";
  provider: string;
  /** Extra `deno run` options the server ran with (V8 flags). */
  denoArgs: string[];
  /** Listener threads sharing the port. */
  workers: number;
  /**
   * Milliseconds to ready: from the build `deno task start` runs (first start, then with state); for the
   * default configuration also from the sources (main.ts) and the build check `deno task start` runs first.
   */
  startup: {
    first: number;
    existing: number[];
    fromSources?: number[];
    buildCheck?: number[];
    /** RSS 1 s after ready, from the build and from the sources, started in turn. */
    idleRss?: { build: number[]; sources: number[] };
  };
  rss: {
    idle: number;
    underLoad: number;
    afterLoad: number;
    idleConnections?: IdleConnectionsResult;
    /** RssAnon (VmRSS less the runtime's mapped files) 1 s after ready, and its peak under load. */
    idlePrivate?: number;
    underLoadPrivate?: number;
  };
  keepAlive: KeepAliveRun[];
  newConnection: { sequential?: NewConnectionResult; parallel?: NewConnectionResult };
  cacerts?: WrkResult;
  sideBySide?: SideBySide;
  floor?: FloorRun;
}

/** One run of the benchmark, as written to results.json. */
export interface BenchResults {
  date: string;
  commit: string;
  machine: {
    cpu: string;
    cores: number;
    memoryMB: number;
    kernel: string;
    deno: string;
    openssl: string;
    wrk: string;
  };
  command: string;
  durationSeconds: number;
  quick: boolean;
  /** Whether the Go server was built here and measured in this run. */
  goPeer: boolean;
  ceiling: CryptoCeiling;
  /** Enrollments per second the crypto alone allows on every core, per CA key. */
  ceilingEnrollments: Record<string, number>;
  runs: ServerRun[];
}

async function text(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return (new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr)).trim();
  } catch {
    return "";
  }
}

/** The machine, tools and commit the figures belong to. */
export async function describeMachine(): Promise<Pick<BenchResults, "commit" | "machine">> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const commit = await text("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = (await text("git", ["status", "--porcelain", "--untracked-files=no"])) !== "";
  return {
    commit: commit + (dirty ? "+changes" : ""),
    machine: {
      cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown",
      cores: navigator.hardwareConcurrency,
      memoryMB: Math.round(Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0) / 1024),
      kernel: Deno.osRelease(),
      deno: Deno.version.deno,
      openssl: await text("openssl", ["version"]),
      wrk: (await text("wrk", ["--version"])).split("\n")[0].replace(/ Copyright.*/, ""),
    },
  };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const ms = (us: number) => (us / 1000).toFixed(1);
const n0 = (v: number) => Math.round(v).toLocaleString("en-US");
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const errors = (r: WrkResult) => Object.values(r.errors).reduce((a, b) => a + b, 0);
const cpu = (k: KeepAliveRun) => k.cpuUsPerRequest === undefined ? "–" : n0(k.cpuUsPerRequest);
const cores = (k: KeepAliveRun) => k.cores === undefined ? "–" : k.cores.toFixed(2);
const ratio = (v: number) => `${v.toFixed(2)}×`;

/** The side-by-side section: every window, then the medians and their ratios. */
function sideBySideLines(r: BenchResults): string[] {
  const run = r.runs.find((x) => x.sideBySide);
  if (!r.goPeer || !run?.sideBySide) {
    return [
      "## Side by side with the globalsign/est Go server",
      "",
      "The Go server was not built on this machine, so this run has no side-by-side figures (and quotes none",
      "from elsewhere).",
      "",
    ];
  }
  const s = run.sideBySide;
  const lines = [
    "## Side by side with the globalsign/est Go server",
    "",
    `This server as \`deno task start\` runs it (${configuration(run)}) and the globalsign/est Go server`,
    "(`estserver`, mock CA, P-256, the same TLS versions) under the same wrk load (64 keep-alive connections, 2",
    `threads, the same CSRs and Basic credentials), in ${s.rounds} alternating windows each after a warm-up, which`,
    "server goes first turning round every round.",
    "CPU per enrollment: the server process's utime+stime over the window divided by the enrollments served.",
    "",
    "| window | server | enrollments/s | p99 ms | errors | CPU µs per enrollment | cores used | peak RSS |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...s.windows.map((w, i) =>
      `| ${Math.floor(i / 2) + 1} | ${w.name} | ${n0(w.run.requestsPerSecond)} | ${
        ms(w.run.latencyUs.p99)
      } | ` +
      `${errors(w.run)} | ${cpu(w.run)} | ${cores(w.run)} | ${mb(w.rssPeak)} |`
    ),
    "",
    "| median window | enrollments/s | CPU µs per enrollment |",
    "| --- | ---: | ---: |",
    `| this server | ${n0(s.ours.requestsPerSecond)} | ${cpu(s.ours)} |`,
    `| Go server | ${n0(s.go.requestsPerSecond)} | ${cpu(s.go)} |`,
    `| this server / Go | ${ratio(s.ours.requestsPerSecond / s.go.requestsPerSecond)} | ${
      s.ours.cpuUsPerRequest && s.go.cpuUsPerRequest
        ? ratio(s.ours.cpuUsPerRequest / s.go.cpuUsPerRequest)
        : "–"
    } |`,
    "",
    ...atOnceLines(s),
  ];
  return lines;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** Both servers under load at once: every round, then the CPU per enrollment pooled over the rounds. */
function atOnceLines(s: SideBySide): string[] {
  const a = s.atOnce;
  if (!a) return [];
  return [
    "Then both at once, each with its own wrk (1 thread, " +
    `${a.connections} connections), in ${
      plural(a.windows.length, "window")
    }: whatever else the machine does in a window`,
    "costs both alike, so CPU per enrollment compares more steadily than across alternating windows. They share",
    "the cores, so these rates are each server's beside the other, not alone.",
    "",
    "| window | server | enrollments/s | CPU µs per enrollment | cores used |",
    "| ---: | --- | ---: | ---: | ---: |",
    ...a.windows.flatMap((round, i) =>
      round.map((w) =>
        `| ${i + 1} | ${w.name} | ${n0(w.run.requestsPerSecond)} | ${cpu(w.run)} | ${cores(w.run)} |`
      )
    ),
    "",
    `CPU µs per enrollment over ${plural(a.windows.length, "window")}: this server ${
      n0(a.oursCpuUsPerRequest)
    }, ` +
    `Go server ${n0(a.goCpuUsPerRequest)}, ratio ${ratio(a.oursCpuUsPerRequest / a.goCpuUsPerRequest)}.`,
    "",
  ];
}

/** How a run is named in the tables: CA key, provider, and the V8 limits it ran with. */
function configuration(run: ServerRun): string {
  const flags = run.denoArgs.join(" ").match(/--v8-flags=(\S+)/)?.[1];
  const threads = `, ${run.workers} listener thread${run.workers > 1 ? "s" : ""}`;
  return `${run.caKey}, ${run.provider}${threads}, ${flags ? `V8 \`${flags}\`` : "no V8 heap limits"}`;
}

/** Writes results.json and results.md into `dir`. */
export async function writeResults(dir: string, results: BenchResults): Promise<void> {
  await Deno.writeTextFile(join(dir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  const markdown = join(dir, "results.md");
  await Deno.writeTextFile(markdown, renderMarkdown(results));
  // Written as the repository keeps it (deno fmt wraps and aligns the tables).
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", markdown], stdout: "null" }).output();
}

/** The human-readable report. */
export function renderMarkdown(r: BenchResults): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push("# Benchmark results", "");
  lines.push(
    `Commit \`${r.commit}\`, ${r.date}, ${r.durationSeconds.toFixed(0)} s${r.quick ? " (quick run)" : ""}.`,
    "",
    `Machine: ${m.cpu}, ${m.cores} cores (shared with other work), ${
      n0(m.memoryMB)
    } MB, Linux ${m.kernel}; ` +
      `Deno ${m.deno}; ${m.openssl}; ${m.wrk}.`,
    "",
    "Command: `deno task bench` (that is `deno run -A bench/run.ts` then `deno bench -A bench/`). The server runs as",
    "its own process as `deno task start` runs it, `deno run -A [V8 flags] dist/build/DIGEST/main.js serve --config",
    "DIR` (the build of the sources `deno task build` makes; by default the V8 flags of `deno task start`), on",
    "127.0.0.1 with a local CA, the in-memory realm",
    "and no external authoriser; clients enroll P-256 CSRs with HTTP Basic. Keep-alive load: wrk with 2 threads",
    "and a Lua script posting the CSRs. New connections: one curl process, a full TLS handshake per request",
    "(`Connection: close`, no session reuse), server certificate verified. RSS is VmRSS of the server process.",
    "The crypto ceiling is `openssl speed` on the same machine in the same run: one CSR verification (P-256)",
    "plus one CA signature per enrollment, on every core.",
    "",
  );
  lines.push(...sideBySideLines(r));
  lines.push("## Enrollment, keep-alive connections", "");
  lines.push(
    "| server (CA key, crypto provider) | connections | enrollments/s | p50 ms | p95 ms | p99 ms | errors | CPU µs per enrollment | cores used | of crypto ceiling |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const run of r.runs) {
    const ceiling = r.ceilingEnrollments[run.caKey];
    for (const k of run.keepAlive) {
      lines.push(
        `| ${configuration(run)} | ${k.connections} | ${n0(k.requestsPerSecond)} | ${
          ms(k.latencyUs.p50)
        } | ` +
          `${ms(k.latencyUs.p95)} | ${ms(k.latencyUs.p99)} | ${errors(k)} | ${cpu(k)} | ${cores(k)} | ` +
          `${pct(k.requestsPerSecond / ceiling)} |`,
      );
    }
  }
  lines.push("", "## Enrollment, a new TLS connection per request", "");
  lines.push(
    "| server | at a time | requests | enrollments/s | p50 ms | p95 ms | p99 ms | handshake p50 ms | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const run of r.runs) {
    for (const c of [run.newConnection.sequential, run.newConnection.parallel]) {
      if (!c) continue;
      lines.push(
        `| ${configuration(run)} | ${c.parallel} | ${c.requests} | ${n0(c.requestsPerSecond)} | ${
          c.latencyMs.p50.toFixed(1)
        } | ` +
          `${c.latencyMs.p95.toFixed(1)} | ${c.latencyMs.p99.toFixed(1)} | ${
            c.handshakeP50Ms.toFixed(1)
          } | ${c.errors} |`,
      );
    }
  }
  lines.push("", "## cacerts (cached response), startup, memory", "");
  lines.push(
    "| server | cacerts/s (64 conn.) | first start ms | start with state ms (median) | RSS idle | RSS under load (64 conn.) | RSS after load | RSS with 1,000 idle TLS conn. |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const run of r.runs) {
    const idle = run.rss.idleConnections;
    lines.push(
      `| ${configuration(run)} | ${run.cacerts ? n0(run.cacerts.requestsPerSecond) : "–"} | ${
        run.startup.first.toFixed(0)
      } | ` +
        `${median(run.startup.existing).toFixed(0)} (${
          run.startup.existing.map((v) => v.toFixed(0)).join(", ")
        }) | ` +
        `${mb(run.rss.idle)} | ${mb(run.rss.underLoad)} | ${mb(run.rss.afterLoad)} | ` +
        `${idle ? `${mb(idle.rssHolding)} (${idle.connections} open)` : "–"} |`,
    );
  }
  for (const run of r.runs.filter((run) => run.startup.fromSources && run.startup.buildCheck)) {
    const sources = run.startup.fromSources!;
    const check = run.startup.buildCheck!;
    lines.push(
      "",
      `The same server (${
        configuration(run)
      }) started from the sources, \`deno run main.ts serve\`, with state: ` +
        `${median(sources).toFixed(0)} ms (${sources.map((v) => v.toFixed(0)).join(", ")}). ` +
        `Before the server, \`deno task start\` runs \`tools/build.ts --print-main\` to find the build: ` +
        `${median(check).toFixed(0)} ms (${
          check.map((v) => v.toFixed(0)).join(", ")
        }) with the build up to date.` +
        (run.startup.idleRss
          ? ` RSS 1 s after ready, started in turn three times: from the build ${
            mb(median(run.startup.idleRss.build))
          }, from the sources ${mb(median(run.startup.idleRss.sources))}.`
          : ""),
    );
  }
  lines.push(...floorLines(r));
  const c = r.ceiling;
  lines.push("", "## Crypto ceiling (`openssl speed`, one core)", "");
  lines.push("| operation | sign/s | verify/s |", "| --- | ---: | ---: |");
  lines.push(`| ECDSA P-256 | ${n0(c.p256.sign)} | ${n0(c.p256.verify)} |`);
  lines.push(`| RSA-2048 | ${n0(c.rsa2048.sign)} | ${n0(c.rsa2048.verify)} |`);
  lines.push(
    "",
    `Enrollments/s the crypto allows on ${c.cores} cores (P-256 CSR verification + CA signature): ` +
      Object.entries(r.ceilingEnrollments).map(([k, v]) => `${k} CA ${n0(v)}`).join(", ") +
      `. Command: \`${c.command}\`.`,
  );
  lines.push(
    "",
    "## Targets (P-256 CA, default provider and listener threads, `deno task start` settings)",
    "",
  );
  lines.push(...targetLines(r), "");
  return lines.join("\n");
}

/** This server beside the runtime's floor: what it costs on top of any server on this runtime with its threads. */
function floorLines(r: BenchResults): string[] {
  const run = r.runs.find((x) => x.floor !== undefined);
  const floor = run?.floor;
  const k64 = run?.keepAlive.find((k) => k.connections === 64);
  if (!run || !floor || !k64) return [];
  const difference = (ours: number, theirs: number, unit: (v: number) => string) =>
    `${ours >= theirs ? "+" : "−"}${unit(Math.abs(ours - theirs))}`;
  const megabytes = (ours: number | undefined, theirs: number) =>
    ours === undefined ? ["–", mb(theirs), "–"] : [mb(ours), mb(theirs), difference(ours, theirs, mb)];
  const ourStart = median(floor.startup.server);
  const floorStart = median(floor.startup.floor);
  const rows: [string, string[]][] = [
    [
      "start to the first answer, ms (median of 3, started in turn)",
      [ourStart.toFixed(0), floorStart.toFixed(0), difference(ourStart, floorStart, (v) => v.toFixed(0))],
    ],
    ["RSS 1 s after ready", megabytes(run.rss.idle, floor.rss.idle)],
    ["of which private (RssAnon)", megabytes(run.rss.idlePrivate, floor.rss.idlePrivate)],
    ["RSS under the 64-connection load (peak)", megabytes(run.rss.underLoad, floor.rss.underLoad)],
    ["of which private (RssAnon)", megabytes(run.rss.underLoadPrivate, floor.rss.underLoadPrivate)],
    [
      "CPU µs per request, 64 keep-alive connections",
      [
        cpu(k64),
        cpu(floor.load),
        k64.cpuUsPerRequest && floor.load.cpuUsPerRequest
          ? difference(k64.cpuUsPerRequest, floor.load.cpuUsPerRequest, n0)
          : "–",
      ],
    ],
    ["requests/s, 64 keep-alive connections", [
      n0(k64.requestsPerSecond),
      n0(floor.load.requestsPerSecond),
      "",
    ]],
  ];
  return [
    "",
    "## Over the runtime's floor",
    "",
    `What any HTTPS server on this runtime costs with this server's threads, measured in the same run: \`bench/lib/floor_server.ts\`, run with the same \`deno run\` options as this server (${
      configuration(run)
    }): ${
      plural(floor.listeners, "listener thread")
    } sharing the port and one more thread (where this server writes its audit log), each answering every request with 200 and a fixed 1 KB body once its body is read — no routing, authentication, certificate or records. The same wrk load (64 keep-alive connections, the same enrollment requests) after a 3 s warm-up. The difference is what this server itself costs. RssAnon is the resident memory of the process less what it maps from files (the runtime's own code, shared with every other process running it).`,
    "",
    "| | this server | runtime floor | this server − floor |",
    "| --- | ---: | ---: | ---: |",
    ...rows.map(([what, cells]) => `| ${what} | ${cells.join(" | ")} |`),
  ];
}

function targetLines(r: BenchResults): string[] {
  // The start command's settings: the P-256 run with every measurement (the default listener threads).
  const run = r.runs.find((x) =>
    x.caKey === "P-256" && x.newConnection.sequential && x.sideBySide !== undefined
  );
  if (!run?.newConnection.sequential) return [];
  const sequential = run.newConnection.sequential;
  const side = run.sideBySide;
  const k64 = run.keepAlive.find((k) => k.connections === 64);
  const rows: [string, string, boolean | undefined][] = [
    [
      "throughput ≥ the Go server's in the same run (64 keep-alive connections), no errors, p99 ≤ 50 ms",
      side && r.goPeer
        ? `${n0(side.ours.requestsPerSecond)}/s vs ${n0(side.go.requestsPerSecond)}/s (${
          ratio(side.ours.requestsPerSecond / side.go.requestsPerSecond)
        }), p99 ${ms(side.ours.latencyUs.p99)} ms, ${errors(side.ours)} errors`
        : "no Go server in this run",
      side && r.goPeer
        ? side.ours.requestsPerSecond >= side.go.requestsPerSecond && errors(side.ours) === 0 &&
          side.ours.latencyUs.p99 <= 50_000
        : undefined,
    ],
    [
      "CPU per enrollment ≤ the Go server's, measured the same way",
      side?.ours.cpuUsPerRequest && side.go.cpuUsPerRequest && r.goPeer
        ? `${n0(side.ours.cpuUsPerRequest)} µs vs ${n0(side.go.cpuUsPerRequest)} µs (${
          ratio(side.ours.cpuUsPerRequest / side.go.cpuUsPerRequest)
        })${
          side.atOnce
            ? `; both at once ${n0(side.atOnce.oursCpuUsPerRequest)} µs vs ${
              n0(side.atOnce.goCpuUsPerRequest)
            } µs (${ratio(side.atOnce.oursCpuUsPerRequest / side.atOnce.goCpuUsPerRequest)})`
            : ""
        }`
        : k64?.cpuUsPerRequest
        ? `${n0(k64.cpuUsPerRequest)} µs; no Go server in this run`
        : "–",
      side?.ours.cpuUsPerRequest && side.go.cpuUsPerRequest && r.goPeer
        ? side.ours.cpuUsPerRequest <= side.go.cpuUsPerRequest
        : undefined,
    ],
    [
      "new-connection enrollment p50 ≤ 5 ms, sequential",
      `${sequential.latencyMs.p50.toFixed(1)} ms`,
      sequential.latencyMs.p50 <= 5,
    ],
    ["RSS ≤ 80 MB idle", mb(run.rss.idle), run.rss.idle <= 80 * 2 ** 20],
    ["RSS ≤ 160 MB under load", mb(run.rss.underLoad), run.rss.underLoad <= 160 * 2 ** 20],
    [
      "RSS ≤ 160 MB with 1,000 idle connections",
      run.rss.idleConnections ? mb(run.rss.idleConnections.rssHolding) : "–",
      run.rss.idleConnections && run.rss.idleConnections.rssHolding <= 160 * 2 ** 20,
    ],
    [
      "startup to ready ≤ 300 ms with an existing state dir",
      `${median(run.startup.existing).toFixed(0)} ms${
        run.startup.buildCheck
          ? ` (+${median(run.startup.buildCheck).toFixed(0)} ms build check from \`deno task start\`)`
          : ""
      }`,
      median(run.startup.existing) <= 300,
    ],
  ];
  return [
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...rows.map(([t, v, ok]) => `| ${t} | ${v} | ${ok === undefined ? "–" : ok ? "yes" : "no"} |`),
  ];
}
