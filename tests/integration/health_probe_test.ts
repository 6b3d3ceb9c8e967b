import "reflect-metadata";
import assert from "node:assert/strict";
import { probeHealth } from "../../src/ops/health_probe.ts";
import { startTestServer } from "../support/server.ts";
import { freePort } from "../support/server_process.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const main = new URL("../../main.ts", import.meta.url).pathname;

async function health(url: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "health", "--url", url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("health probe: 0 for a serving server, 1 for a closed port or a non-200 path", opts, async () => {
  const srv = await startTestServer();
  try {
    const origin = `https://127.0.0.1:${srv.port}`;
    assert.equal((await health(`${origin}/health`)).code, 0);
    assert.equal(await probeHealth(`${origin}/no-such-path`), false);
    const closed = await health(`https://127.0.0.1:${freePort()}/health`);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /^not healthy: https:\/\/127\.0\.0\.1:\d+\/health/);
  } finally {
    await srv.close();
  }
});

Deno.test("health probe: a server that accepts but never answers times out as unhealthy", opts, async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    assert.equal(await probeHealth(`https://127.0.0.1:${port}/health`, 300), false);
  } finally {
    listener.close();
    for (const conn of held) conn.close();
  }
});
