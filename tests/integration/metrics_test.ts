import assert from "node:assert/strict";
import { curl } from "../support/curl.ts";
import { scrape } from "../support/metrics.ts";
import { makeCsr } from "../support/pki.ts";
import { startDogtagPair } from "../support/dogtag.ts";
import { ALICE, startTestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-metrics-" });
const PKCS10 = { "Content-Type": "application/pkcs10" };

Deno.test("metrics: counters and histograms after a known sequence of requests", opts, async () => {
  const srv = await startTestServer({ labels: { iot: {} } });
  try {
    const port = srv.server.metricsPort!;
    const good = (await makeCsr(tmp, "/CN=alice")).csrDer.toBase64();
    const wrongName = (await makeCsr(tmp, "/CN=mallory")).csrDer.toBase64();
    const before = await scrape(port);
    const post = (path: string, body: string, user?: string) =>
      curl(`${srv.base}/${path}`, { cacert: srv.caPath, body, user, headers: PKCS10 });
    assert.equal((await curl(`${srv.base}/cacerts`, { cacert: srv.caPath })).status, 200);
    assert.equal((await curl(`${srv.base}/iot/cacerts`, { cacert: srv.caPath })).status, 200);
    assert.equal((await post("simpleenroll", good, ALICE.user)).status, 200);
    assert.equal((await post("iot/simpleenroll", good, ALICE.user)).status, 200);
    assert.equal((await post("simpleenroll", good)).status, 401);
    assert.equal((await post("simpleenroll", good, "alice:wrong")).status, 401);
    assert.equal((await post("simpleenroll", wrongName, ALICE.user)).status, 403);
    assert.equal((await curl(`${srv.base}/made-up/cacerts`, { cacert: srv.caPath })).status, 404);
    assert.equal((await curl(`${srv.base}/cacerts`, { cacert: srv.caPath, method: "DELETE" })).status, 405);

    const m = await scrape(port);
    const expect: Record<string, number> = {
      'est_requests_total{operation="cacerts",label="",status="200"}': 1,
      'est_requests_total{operation="cacerts",label="iot",status="200"}': 1,
      'est_requests_total{operation="cacerts",label="",status="404"}': 1,
      'est_requests_total{operation="cacerts",label="",status="405"}': 1,
      'est_requests_total{operation="simpleenroll",label="",status="200"}': 1,
      'est_requests_total{operation="simpleenroll",label="iot",status="200"}': 1,
      'est_requests_total{operation="simpleenroll",label="",status="401"}': 2,
      'est_requests_total{operation="simpleenroll",label="",status="403"}': 1,
      'est_request_duration_seconds_count{operation="simpleenroll"}': 5,
      'est_request_duration_seconds_count{operation="cacerts"}': 4,
      'est_errors_total{type="unauthorized"}': 2,
      'est_errors_total{type="forbidden"}': 1,
      'est_errors_total{type="not_found"}': 1,
      'est_errors_total{type="method_not_allowed"}': 1,
      'est_certificates_issued_total{operation="simpleenroll",label=""}': 1,
      'est_certificates_issued_total{operation="simpleenroll",label="iot"}': 1,
      'est_auth_failures_total{method="basic"}': 1,
      'est_backend_duration_seconds_count{backend="local-ca",call="enroll"}': 2,
      'est_backend_duration_seconds_count{backend="local-ca",call="cacerts"}': 2,
    };
    for (const [sample, value] of Object.entries(expect)) {
      assert.equal((m.get(sample) ?? 0) - (before.get(sample) ?? 0), value, sample);
    }
    assert.ok(
      !m.has('est_requests_total{operation="cacerts",label="made-up",status="404"}'),
      "no label from 404s",
    );
    const bucket = 'est_request_duration_seconds_bucket{le="+Inf",operation="simpleenroll"}';
    assert.equal(m.get(bucket), 5);
    assert.ok((m.get("est_active_connections") ?? -1) >= 0);
    assert.ok((m.get("process_resident_memory_bytes") ?? 0) > 1_000_000);
    const cpu = m.get("process_cpu_seconds_total") ?? 0;
    const user = m.get("process_cpu_user_seconds_total") ?? 0;
    const system = m.get("process_cpu_system_seconds_total") ?? 0;
    assert.ok(user > 0 && system >= 0, "CPU time counted");
    assert.ok(Math.abs(cpu - (user + system)) < 1e-3, "the total is user plus system");
    // The scrape itself is not an EST request.
    const again = await scrape(port);
    assert.equal(again.get('est_requests_total{operation="cacerts",label="",status="200"}'), 1);
    assert.ok((again.get("process_cpu_seconds_total") ?? 0) >= cpu, "CPU time only grows");
  } finally {
    await srv.close();
  }
});

Deno.test("metrics: the listener serves only GET /metrics; it can be switched off", opts, async () => {
  const srv = await startTestServer();
  const off = await startTestServer({ metrics: { enabled: false } });
  try {
    const origin = `http://127.0.0.1:${srv.server.metricsPort}`;
    assert.equal((await curl(`${origin}/other`)).status, 404);
    const post = await curl(`${origin}/metrics`, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    const head = await curl(`${origin}/metrics`, { extra: ["-I"] });
    assert.equal(head.status, 200);
    assert.match(head.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.equal(off.server.metricsPort, undefined);
  } finally {
    await srv.close();
    await off.close();
  }
});

Deno.test("metrics: each call to an upstream Dogtag CA is timed", opts, async () => {
  const { srv, close } = await startDogtagPair();
  try {
    const res = await curl(`${srv.base}/simpleenroll`, {
      cacert: srv.caPath,
      user: ALICE.user,
      headers: PKCS10,
      body: (await makeCsr(tmp, "/CN=Administrator")).csrDer.toBase64(),
    });
    assert.equal(res.status, 200, res.text);
    const m = await scrape(srv.server.metricsPort!);
    const calls = [...m.keys()].filter((k) => k.startsWith("est_backend_duration_seconds_count{"));
    assert.ok(
      calls.includes('est_backend_duration_seconds_count{backend="dogtag-ra",call="enroll"}'),
      calls.join("\n"),
    );
    const caCalls = calls.filter((k) => k.includes('call="ca:'));
    assert.ok(caCalls.length >= 4, `login, template, submit, certificate: ${caCalls.join(", ")}`);
  } finally {
    await close();
  }
});
