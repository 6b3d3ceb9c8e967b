import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { delay } from "./server_process.ts";

const CLIENT = fileURLToPath(new URL("./idle_client.ts", import.meta.url));

/** What holding idle connections cost the server. */
export interface IdleConnectionsResult {
  connections: number;
  /** Time to open them all (handshakes included). */
  openSeconds: number;
  rssBefore: number;
  rssHolding: number;
}

/** Opens `count` idle TLS connections from another process and reads the server's RSS while they are held. */
export async function holdIdleConnections(options: {
  port: number;
  count: number;
  caPem: string;
  dir: string;
  rss: () => number;
}): Promise<IdleConnectionsResult> {
  const caFile = join(options.dir, "idle-ca.pem");
  await Deno.writeTextFile(caFile, options.caPem);
  const rssBefore = options.rss();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLIENT, String(options.port), String(options.count), caFile],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    line += value;
  }
  const openSeconds = (performance.now() - started) / 1000;
  const opened = Number(/open (\d+)/.exec(line)?.[1] ?? 0);
  await delay(500);
  const rssHolding = options.rss();
  await child.stdin.close();
  await reader.cancel();
  await child.status;
  return { connections: opened, openSeconds, rssBefore, rssHolding };
}
