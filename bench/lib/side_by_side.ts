import { cpuMicros } from "./proc_cpu.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

/** A server under load: its process (for CPU accounting) and where to send enrollments. */
export interface LoadTarget {
  name: string;
  pid: number;
  url: string;
  rss(): number;
}

/** One measured window against one server. */
export interface LoadWindow {
  name: string;
  wrk: WrkResult;
  /** Server CPU (utime+stime, all threads) over the window divided by the requests served. */
  cpuUsPerRequest: number;
  /** Cores the server used on average over the window. */
  cores: number;
  rssPeak: number;
}

/** Drives `target` with wrk for `seconds`, accounting the server's CPU from /proc over the same window. */
export async function measureWindow(
  target: LoadTarget,
  options: { script: string; dir: string; connections: number; seconds: number; threads?: number },
): Promise<LoadWindow> {
  let rssPeak = target.rss();
  const sampler = setInterval(() => rssPeak = Math.max(rssPeak, target.rss()), 200);
  const cpuBefore = cpuMicros(target.pid);
  const started = performance.now();
  try {
    const wrk = await runWrk({ url: target.url, ...options });
    const cpuUs = cpuMicros(target.pid) - cpuBefore;
    const wallUs = (performance.now() - started) * 1000;
    return {
      name: target.name,
      wrk,
      cpuUsPerRequest: cpuUs / Math.max(1, wrk.requests),
      cores: cpuUs / wallUs,
      rssPeak,
    };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Alternates windows between the targets `rounds` times after one warm-up window each, so a noisy neighbour on
 * a shared machine hits every server alike. The order turns round every other round (A B, B A, A B ...): on
 * this machine the server measured first in a round came out slower in both orders of the same comparison, so
 * no server keeps the first place.
 */
export async function alternate(
  targets: LoadTarget[],
  options: {
    script: string;
    dir: string;
    connections: number;
    seconds: number;
    warmupSeconds: number;
    rounds: number;
  },
): Promise<LoadWindow[]> {
  for (const target of options.warmupSeconds > 0 ? targets : []) {
    await runWrk({
      url: target.url,
      script: options.script,
      dir: options.dir,
      connections: options.connections,
      seconds: options.warmupSeconds,
    });
  }
  const windows: LoadWindow[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) windows.push(await measureWindow(target, options));
  }
  return windows;
}

/** The windows of every target in one round of `atOnce`. */
export type AtOnceRound = LoadWindow[];

/**
 * Loads every target at the same time, each with its own wrk (one thread, `connections` connections), `rounds`
 * windows long, accounting each server's CPU over the same window: whatever else the machine is doing then
 * costs every server alike, so CPU per request compares more steadily than in alternating windows (where the
 * machine can change between one server's window and the next). The servers share the cores, so the
 * throughput of each says how it fares beside the other, not what it does alone.
 */
export async function atOnce(
  targets: LoadTarget[],
  options: { script: string; dir: string; connections: number; seconds: number; rounds: number },
): Promise<AtOnceRound[]> {
  const rounds: AtOnceRound[] = [];
  for (let round = 0; round < options.rounds; round++) {
    rounds.push(
      await Promise.all(targets.map((target) => measureWindow(target, { ...options, threads: 1 }))),
    );
  }
  return rounds;
}

/** CPU per request of `name` over all its windows: the CPU summed, divided by the requests summed. */
export function pooledCpuUsPerRequest(rounds: AtOnceRound[], name: string): number {
  let cpuUs = 0;
  let requests = 0;
  for (const window of rounds.flat().filter((w) => w.name === name)) {
    cpuUs += window.cpuUsPerRequest * window.wrk.requests;
    requests += window.wrk.requests;
  }
  return cpuUs / Math.max(1, requests);
}
