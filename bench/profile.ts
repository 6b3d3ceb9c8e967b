import { join } from "node:path";
import { parseArgs } from "node:util";
import { InspectorSession, profileWhile, summarise } from "./cpu_profile.ts";
import { enrollmentScript, makeCsrBodies } from "./lib/csrs.ts";
import { freePort, startServerProcess, writeBenchConfig } from "./lib/server_process.ts";
import { runWrk } from "./lib/wrk.ts";

/**
 * Profiles keep-alive enrollment: starts the server with the V8 inspector,
 * warms it up, records a CPU profile during a wrk run and prints where the
 * time went (the profile is kept in bench/out/ for Chrome DevTools).
 *
 *   deno run -A bench/profile.ts [--key P-256|RSA-2048] [--provider auto|openssl|webcrypto]
 *                                [--connections 64] [--seconds 8]
 */
const { values } = parseArgs({
  args: Deno.args,
  options: {
    key: { type: "string", default: "P-256" },
    provider: { type: "string", default: "auto" },
    connections: { type: "string", default: "64" },
    seconds: { type: "string", default: "8" },
  },
});
const out = join(import.meta.dirname!, "out");
await Deno.mkdir(out, { recursive: true });
const dir = await Deno.makeTempDir({ prefix: "est-profile-" });
const port = freePort();
const inspectPort = freePort();
await writeBenchConfig(dir, {
  keyType: values.key as "P-256",
  provider: values.provider as "auto",
  port,
  workers: 1,
});
const server = await startServerProcess(dir, port, [
  `--inspect=127.0.0.1:${inspectPort}`,
  "--v8-flags=--max-old-space-size=64,--max-semi-space-size=8,--single-threaded-gc,--initial-old-space-size=32",
]);
const url = `https://127.0.0.1:${port}/.well-known/est/simpleenroll`;
const script = enrollmentScript(await makeCsrBodies(dir, 8));
try {
  await runWrk({ url, script, dir, connections: Number(values.connections), seconds: 15 });
  const session = await InspectorSession.connect(inspectPort);
  let result;
  const profile = await profileWhile(session, async () => {
    result = await runWrk({
      url,
      script,
      dir,
      connections: Number(values.connections),
      seconds: Number(values.seconds),
    });
  });
  session.close();
  const file = join(out, `enroll-${values.key}-${values.provider}.cpuprofile`);
  await Deno.writeTextFile(file, JSON.stringify(profile));
  console.log(`wrk during the profile: ${JSON.stringify(result)}`);
  const { functions, modules, project } = summarise(profile, 30);
  console.log("\ntotal time of this project's functions (callees included):");
  for (const f of project) console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}`);
  console.log("\nself time by module:");
  for (const m of modules) console.log(`  ${m.percent.toFixed(1).padStart(5)}%  ${m.name}`);
  console.log("\nself time by function:");
  for (const f of functions) console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}`);
  console.log(`\nprofile: ${file}`);
} finally {
  await server.stop();
  await Deno.remove(dir, { recursive: true });
}
