import assert from "node:assert/strict";
import { tempDir } from "../support/temp.ts";

/**
 * main.ts loads a command's modules only when that command runs: a container
 * health check (every 30 s in the Containerfile) or `--version` must not pay
 * for loading the server (its npm packages take most of a second of CPU).
 */

interface InfoModule {
  specifier: string;
  dependencies?: { specifier: string; isDynamic?: boolean; code?: { specifier: string } }[];
}

const main = new URL("../../main.ts", import.meta.url).href;
const listenerThread = new URL("../../src/ops/worker_thread.ts", import.meta.url).href;

async function moduleGraph(entry = main): Promise<Map<string, InfoModule>> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json", entry], stdout: "piped" })
    .output();
  assert.equal(out.code, 0);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  return new Map(info.modules.map((m) => [m.specifier, m]));
}

/** What `from` loads before any of its code runs (its static imports, transitively), or may load at all. */
function closure(graph: Map<string, InfoModule>, from: string, dynamicToo = false): Set<string> {
  const seen = new Set<string>();
  const visit = (specifier: string) => {
    if (seen.has(specifier)) return;
    seen.add(specifier);
    for (const dep of graph.get(specifier)?.dependencies ?? []) {
      if ((dynamicToo || !dep.isDynamic) && dep.code) visit(dep.code.specifier);
    }
  };
  visit(from);
  return seen;
}

Deno.test("main.ts loads no npm package and none of the server before a command is chosen", async () => {
  const graph = await moduleGraph();
  const loaded = [...closure(graph, main)];
  assert.deepEqual(loaded.filter((s) => s.startsWith("npm:") || s.includes("/node_modules/")), []);
  assert.deepEqual(loaded.filter((s) => /\/src\/(server|tls|est|backend|client)\b/.test(s)), []);
  // The commands themselves are still part of the graph (cached, compiled, shipped).
  for (const command of ["src/cli/server_commands.ts", "src/ops/health_probe.ts", "src/client/cli.ts"]) {
    assert.ok(graph.has(new URL(`../../${command}`, import.meta.url).href), command);
  }
});

Deno.test("@peculiar/x509 loads only through src/pki/x509.ts, which loads reflect-metadata first", async () => {
  // tsyringe, under @peculiar/x509, throws at load unless the Reflect polyfill ran first.
  const wrapper = new URL("../../src/pki/x509.ts", import.meta.url).href;
  for (const entry of [main, listenerThread]) {
    const graph = await moduleGraph(entry);
    const importers = [...graph.values()].filter((m) =>
      (m.dependencies ?? []).some((d) => /^npm:\/?@peculiar\/x509@/.test(d.code?.specifier ?? ""))
    ).map((m) => m.specifier);
    assert.deepEqual(importers, [wrapper], entry);
    assert.equal(graph.get(wrapper)?.dependencies?.[0]?.specifier, "reflect-metadata");
  }
});

Deno.test("a listener thread loads none of what only the primary runs", async () => {
  const graph = await moduleGraph(listenerThread);
  const loaded = [...closure(graph, listenerThread)];
  const primaryOnly = [
    "src/config/boundary.ts", // a listener thread is handed its settings
    "src/publish/publishing.ts", // the primary publishes the CRL and OCSP
    "src/ops/worker_pool.ts",
    "src/ops/audit_writer.ts",
    "src/ops/metrics_listener.ts",
  ].map((path) => new URL(`../../${path}`, import.meta.url).href);
  assert.deepEqual(loaded.filter((s) => primaryOnly.includes(s)), []);
  // zod and the configuration schemas too: the primary parses the configuration and hands it over.
  assert.deepEqual(
    loaded.filter((s) => /npm:\/?(pkijs|smol-toml|zod)@/.test(s) || s.endsWith("_schema.ts")),
    [],
  );
  // They are still in the server's graph, loaded by the primary when it runs them.
  for (const specifier of primaryOnly) assert.ok(graph.has(specifier), specifier);
  assert.ok(loaded.includes(new URL("../../src/server.ts", import.meta.url).href));
});

Deno.test("the server takes prom-client's classes from their modules, not its entry point", async () => {
  // The entry point also loads the default metrics (their CPU collector loads @opentelemetry/api) and the
  // push gateway: about 70 ms of every listener thread's start.
  const serverCommands = new URL("../../src/cli/server_commands.ts", import.meta.url).href;
  const reach = [...closure(await moduleGraph(serverCommands), serverCommands, true)];
  assert.deepEqual(reach.filter((s) => /^npm:\/?prom-client@[^/]+$/.test(s)), []);
  assert.ok(reach.some((s) => /^npm:\/?prom-client@[^/]+\/lib\/counter\.js$/.test(s)), reach.join("\n"));
});

Deno.test("starting the server loads no pkijs: the OCSP responder loads it with its first request", async () => {
  // What the primary imports while it starts (the publishing listener among them).
  const startup = [
    "src/cli/server_commands.ts",
    "src/publish/publishing.ts",
    "src/ops/worker_pool.ts",
    "src/ops/audit_writer.ts",
    "src/ops/metrics_listener.ts",
  ].map((path) => new URL(`../../${path}`, import.meta.url).href);
  for (const entry of startup) {
    const loaded = [...closure(await moduleGraph(entry), entry)];
    assert.deepEqual(loaded.filter((s) => /npm:\/?pkijs@/.test(s)), [], entry);
  }
  const responder = new URL("../../src/backend/local_ca/ocsp_responder.ts", import.meta.url).href;
  const later = [...closure(await moduleGraph(responder), responder, true)];
  assert.ok(later.some((s) => /npm:\/?pkijs@/.test(s)), "the responder still reaches pkijs");
});

/** The scripts that ran code while `args` ran, from a V8 CPU profile of the process. */
async function scriptsRun(args: string[]): Promise<{ stdout: string; scripts: Set<string> }> {
  const dir = await tempDir({ prefix: "est-cpu-prof-" });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--cpu-prof", `--cpu-prof-dir=${dir}`, main, ...args],
    stdout: "piped",
  }).output();
  assert.equal(out.code, 0);
  const [file] = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`);
  const profile = JSON.parse(await Deno.readTextFile(file)) as { nodes: { callFrame: { url: string } }[] };
  return {
    stdout: new TextDecoder().decode(out.stdout),
    scripts: new Set(profile.nodes.map((n) => n.callFrame.url)),
  };
}

Deno.test("--version runs none of the server's code or packages", async () => {
  const { stdout, scripts } = await scriptsRun(["--version"]);
  assert.match(stdout, /^\d+\.\d+\.\d+ \(commit /);
  assert.deepEqual(
    [...scripts].filter((url) => url.includes("npmjs.org") || url.includes("/src/server")),
    [],
  );
  assert.ok([...scripts].some((url) => url.endsWith("/main.ts")), "the profile saw main.ts run");
});

Deno.test("check-config still loads the configuration through the server's commands", async () => {
  const { scripts } = await scriptsRun([
    "check-config",
    "--config",
    new URL("../../config", import.meta.url).pathname,
  ]);
  assert.ok([...scripts].some((url) => url.endsWith("/src/cli/server_commands.ts")));
  assert.ok([...scripts].some((url) => url.includes("npmjs.org/zod")));
});
