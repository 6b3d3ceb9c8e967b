import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Hono } from "hono";
import type { EstEnv } from "../../src/est/env.ts";
import type { EstServices } from "../../src/est/services.ts";
import { EstMetrics } from "../../src/ops/metrics.ts";
import { requestFrame } from "../../src/ops/request_frame.ts";
import { assignRequestId } from "../../src/ops/request_id.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An app with the frame and two routes: one answers the request's ID, one refuses as a named operation. */
function framedApp(metrics?: EstMetrics) {
  const snapshots: EstServices[] = [];
  const current = () => {
    const services = { settings: { version: `v${snapshots.length}` } } as unknown as EstServices;
    snapshots.push(services);
    return services;
  };
  const app = new Hono<EstEnv>();
  app.use(requestFrame(current, metrics));
  app.get("/id", (c) => c.text(`${c.get("requestId")} ${c.get("services").settings.version}`));
  app.post("/refuse", (c) => {
    c.set("operation", "simpleenroll");
    c.set("authFailure", "basic");
    return c.text("no", 401);
  });
  return { app, snapshots };
}

/** A node request and response as the listener sees them, the request given its ID there. */
function listenerPair(header?: string) {
  const set = new Map<string, string>();
  const incoming = { headers: header === undefined ? {} : { "x-request-id": header } } as IncomingMessage;
  const outgoing = {
    setHeader: (name: string, value: string) => set.set(name, value),
  } as unknown as ServerResponse;
  assignRequestId(incoming, outgoing);
  return { incoming, outgoing, set };
}

Deno.test("request frame: on its own the app gives the ID and echoes it in X-Request-ID", async () => {
  const { app, snapshots } = framedApp();
  const kept = await app.request("/id", { headers: { "X-Request-ID": "abc-1" } });
  assert.equal(await kept.text(), "abc-1 v0");
  assert.equal(kept.headers.get("x-request-id"), "abc-1");
  const replaced = await app.request("/id", { headers: { "X-Request-ID": "<script>" } });
  const [id, version] = (await replaced.text()).split(" ");
  assert.match(id, UUID);
  assert.equal(replaced.headers.get("x-request-id"), id);
  assert.equal(version, "v1", "one services snapshot per request");
  assert.equal(snapshots.length, 2);
});

Deno.test("request frame: behind the listener the ID is the listener's, and the header is left to it", async () => {
  const { app } = framedApp();
  const { incoming, outgoing, set } = listenerPair("lsn-7");
  const res = await app.request("/id", { headers: { "X-Request-ID": "ignored" } }, { incoming, outgoing });
  assert.equal(await res.text(), "lsn-7 v0");
  assert.equal(res.headers.get("x-request-id"), null);
  assert.equal(set.get("X-Request-ID"), "lsn-7");
  const unsafe = listenerPair("new\nline");
  const second = await app.request("/id", {}, { incoming: unsafe.incoming, outgoing: unsafe.outgoing });
  assert.match(unsafe.set.get("X-Request-ID") ?? "", UUID);
  assert.equal((await second.text()).split(" ")[0], unsafe.set.get("X-Request-ID"));
});

Deno.test("request frame: answered requests are counted by operation and status, refusals by kind", async () => {
  const metrics = new EstMetrics(() => 0);
  const { app } = framedApp(metrics);
  assert.equal((await app.request("/id")).status, 200);
  assert.equal((await app.request("/refuse", { method: "POST" })).status, 401);
  assert.equal((await app.request("/nowhere")).status, 404);
  const text = await metrics.registry.metrics();
  assert.match(text, /est_requests_total\{operation="other",label="",status="200"\} 1/);
  assert.match(text, /est_requests_total\{operation="simpleenroll",label="",status="401"\} 1/);
  assert.match(text, /est_requests_total\{operation="other",label="",status="404"\} 1/);
  assert.match(text, /est_auth_failures_total\{method="basic"\} 1/);
  assert.match(text, /est_request_duration_seconds_count\{operation="simpleenroll"\} 1/);
});
