import { join } from "node:path";

/** What wrk reports through the Lua `done` hook (latencies in microseconds). */
export interface WrkResult {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { p50: number; p95: number; p99: number; max: number; mean: number };
}

/** A wrk Lua script: POST of one of `bodies` in turn (or GET when none), and a JSON summary at the end. */
export function luaScript(options: { bodies?: string[]; headers?: Record<string, string> }): string {
  const lines: string[] = [];
  const bodies = options.bodies ?? [];
  lines.push(bodies.length > 0 ? 'wrk.method = "POST"' : 'wrk.method = "GET"');
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  }
  if (bodies.length > 0) {
    lines.push(`local bodies = { ${bodies.map((b) => JSON.stringify(b)).join(", ")} }`);
    lines.push("local n = 0");
    lines.push("request = function()");
    lines.push("  n = n + 1");
    lines.push("  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])");
    lines.push("end");
  }
  lines.push(`done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end`);
  return lines.join("\n") + "\n";
}

/** Runs wrk against `url` for `seconds` with `connections` keep-alive connections on `threads` threads. */
export async function runWrk(options: {
  url: string;
  script: string;
  dir: string;
  connections: number;
  threads?: number;
  seconds: number;
}): Promise<WrkResult> {
  const scriptPath = join(options.dir, `wrk-${crypto.randomUUID()}.lua`);
  await Deno.writeTextFile(scriptPath, options.script);
  const threads = Math.min(options.threads ?? 2, options.connections);
  const output = await new Deno.Command("wrk", {
    args: [
      "-t",
      String(threads),
      "-c",
      String(options.connections),
      "-d",
      `${options.seconds}s`,
      "--timeout",
      "10s",
      "-s",
      scriptPath,
      options.url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const json = /WRK_JSON (\{.*\})/.exec(text);
  if (!output.success || !json) {
    throw new Error(`wrk failed: ${text}\n${new TextDecoder().decode(output.stderr)}`);
  }
  const r = JSON.parse(json[1]);
  return {
    connections: options.connections,
    seconds: r.duration_us / 1e6,
    requests: r.requests,
    requestsPerSecond: r.requests / (r.duration_us / 1e6),
    errors: { connect: r.connect, read: r.read, write: r.write, status: r.status, timeout: r.timeout },
    latencyUs: { p50: r.p50, p95: r.p95, p99: r.p99, max: r.max, mean: r.mean },
  };
}
