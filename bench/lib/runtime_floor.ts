import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeLoopbackPki } from "./go_peer.ts";
import { type ReadyProcess, spawnUntilReady } from "./server_process.ts";

const FLOOR_SERVER = fileURLToPath(new URL("./floor_server.ts", import.meta.url));

/**
 * Starts the floor server (see floor_server.ts) with `listeners` listener threads on 127.0.0.1:`port`, with
 * the same `deno run` options as the server it is set beside; resolves once GET /ready answers.
 */
export async function startFloorServer(
  dir: string,
  port: number,
  listeners: number,
  denoArgs: string[],
): Promise<ReadyProcess> {
  await Deno.mkdir(dir, { recursive: true });
  try {
    await Deno.stat(join(dir, "tls.pem"));
  } catch {
    await makeLoopbackPki(dir);
  }
  return await spawnUntilReady(
    [
      "run",
      "-A",
      ...denoArgs,
      FLOOR_SERVER,
      String(port),
      join(dir, "tls.pem"),
      join(dir, "tls.key"),
      String(listeners),
    ],
    { log: join(dir, "floor.log"), port },
  );
}
