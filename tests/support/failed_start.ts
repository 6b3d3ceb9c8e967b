import "reflect-metadata";
import { loadSettings } from "../../src/config/boundary.ts";
import { startServer } from "../../src/server.ts";

/**
 * Starts the server on the configuration in Deno.args[0], expecting the start
 * to fail, then prints as JSON why it failed and how many worker threads this
 * process still has half a second later (a process of its own, so that no
 * other test's threads are counted).
 */
const workerThreads = () =>
  [...Deno.readDirSync("/proc/self/task")]
    .filter((t) => Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).startsWith("worker-")).length;

let failure = "started";
try {
  const server = await startServer(await loadSettings(Deno.args[0]));
  await server.close();
} catch (err) {
  failure = (err as Error).message;
}
await new Promise((resolve) => setTimeout(resolve, 500));
console.log(JSON.stringify({ failure, workerThreads: workerThreads() }));
Deno.exit(0);
