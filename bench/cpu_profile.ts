/**
 * CPU profiles of a running server through the V8 inspector (Deno has no
 * --cpu-prof): connect to the process started with --inspect, record while a
 * load runs, and summarise where the time went.
 */

/** One node of a V8 .cpuprofile. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A V8 CPU profile as Profiler.stop returns it. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A DevTools-protocol session with one inspector target. */
export class InspectorSession {
  #socket: WebSocket;
  #next = 1;
  #waiting = new Map<number, (result: unknown) => void>();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      const resolve = this.#waiting.get(message.id);
      if (resolve) {
        this.#waiting.delete(message.id);
        resolve(message.result);
      }
    };
  }

  /** Connects to the first target of the inspector listening on `port`. */
  static async connect(port: number): Promise<InspectorSession> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
        const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
        await new Promise((resolve, reject) => {
          socket.onopen = resolve;
          socket.onerror = reject;
        });
        return new InspectorSession(socket);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Sends one protocol command and waits for its result. */
  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    this.#socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => this.#waiting.set(id, resolve as (r: unknown) => void));
  }

  close(): void {
    this.#socket.close();
  }
}

/** Records a CPU profile while `load` runs (sampling every `intervalUs`). */
export async function profileWhile(
  session: InspectorSession,
  load: () => Promise<void>,
  intervalUs = 200,
): Promise<CpuProfile> {
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: intervalUs });
  await session.send("Profiler.start");
  await load();
  const { profile } = await session.send<{ profile: CpuProfile }>("Profiler.stop");
  return profile;
}

/** One line of a summary: a name, its share of all samples, in milliseconds. */
export interface ProfileLine {
  name: string;
  percent: number;
  ms: number;
}

/** Where the samples fell: self time by function and by module, and total time of this project's functions. */
export function summarise(
  profile: CpuProfile,
  top = 25,
): { functions: ProfileLine[]; modules: ProfileLine[]; project: ProfileLine[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfTime = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    selfTime.set(profile.samples[i], (selfTime.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfTime.values()].reduce((a, b) => a + b, 0) || 1;
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  const project = new Map<string, number>();
  for (const [id, us] of selfTime) {
    const frame = byId.get(id)!.callFrame;
    const name = frameName(frame);
    functions.set(name, (functions.get(name) ?? 0) + us);
    modules.set(moduleOf(frame.url), (modules.get(moduleOf(frame.url)) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (!/\/(src\/|main\.ts)/.test(f.url)) continue;
      const n = frameName(f);
      if (!seen.has(n)) project.set(n, (project.get(n) ?? 0) + us);
      seen.add(n);
    }
  }
  const lines = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({
      name,
      percent: (us / total) * 100,
      ms: us / 1000,
    }));
  return { functions: lines(functions), modules: lines(modules), project: lines(project) };
}

function frameName(frame: ProfileNode["callFrame"]): string {
  const where = moduleOf(frame.url);
  return `${frame.functionName || "(anonymous)"} ${where}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
}

/** "npm:@peculiar/x509", "src/est/csr.ts", "ext:deno_node", or the frame's own name for VM states. */
function moduleOf(url: string): string {
  if (url === "") return "(native/VM)";
  const npm = /registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (npm) return `npm:${npm[1]}`;
  const ext = /^ext:([^/]+)/.exec(url);
  if (ext) return `ext:${ext[1]}`;
  const local = /\/((?:src|main)[^?#]*)$/.exec(url);
  return local ? local[1] : url;
}
