import { join } from "node:path";

/** Enrollment with a full TLS handshake per request: throughput and latency as the client saw them. */
export interface NewConnectionResult {
  requests: number;
  parallel: number;
  seconds: number;
  requestsPerSecond: number;
  errors: number;
  /** Per request, from connect to the last byte (curl's time_total), milliseconds. */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Of which the TCP and TLS handshakes (time_appconnect), median, milliseconds. */
  handshakeP50Ms: number;
}

/**
 * `requests` enrollments from one curl process, each on a new connection
 * with a full handshake (Connection: close, no TLS session reuse), `parallel`
 * at a time; the server certificate is verified as a device would.
 */
export async function enrollOnNewConnections(options: {
  url: string;
  dir: string;
  caPem: string;
  user: string;
  body: string;
  requests: number;
  parallel: number;
}): Promise<NewConnectionResult> {
  const caFile = join(options.dir, "newconn-ca.pem");
  const bodyFile = join(options.dir, "newconn-body.b64");
  await Deno.writeTextFile(caFile, options.caPem);
  await Deno.writeTextFile(bodyFile, options.body);
  const args = [
    "-s",
    "--cacert",
    caFile,
    "--no-sessionid",
    "-H",
    "Connection: close",
    "-H",
    "Content-Type: application/pkcs10",
    "-u",
    options.user,
    "--data-binary",
    `@${bodyFile}`,
    "-o",
    "/dev/null",
    "-w",
    "%{http_code} %{time_total} %{time_appconnect} %{num_connects}\\n",
  ];
  if (options.parallel > 1) {
    args.push("--parallel", "--parallel-immediate", "--parallel-max", String(options.parallel));
  }
  args.push(`${options.url}?n=[1-${options.requests}]`);
  const started = performance.now();
  const output = await new Deno.Command("curl", { args, stdout: "piped", stderr: "piped" }).output();
  const seconds = (performance.now() - started) / 1000;
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n").filter((l) => l !== "");
  const rows = lines.map((l) => l.split(" ").map(Number));
  const ok = rows.filter(([status, , , connects]) => status === 200 && connects === 1);
  const totals = ok.map(([, total]) => total * 1000).sort((a, b) => a - b);
  const handshakes = ok.map(([, , appconnect]) => appconnect * 1000).sort((a, b) => a - b);
  return {
    requests: rows.length,
    parallel: options.parallel,
    seconds,
    requestsPerSecond: rows.length / seconds,
    errors: options.requests - ok.length,
    latencyMs: {
      p50: percentile(totals, 50),
      p95: percentile(totals, 95),
      p99: percentile(totals, 99),
      max: totals[totals.length - 1] ?? 0,
    },
    handshakeP50Ms: percentile(handshakes, 50),
  };
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
