import assert from "node:assert/strict";
import { curl } from "../support/curl.ts";
import { startDogtagPair } from "../support/dogtag.ts";
import { makeCsr } from "../support/pki.ts";
import { ALICE, type TestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";

/** Production behaviour towards the CA: connection reuse, deadlines, retries, outages and recovery. */

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-dogtag-resilience-" });
const { csrDer } = await makeCsr(tmp, "/CN=Administrator");

function enroll(srv: TestServer) {
  return curl(`${srv.base}/simpleenroll`, {
    cacert: srv.caPath,
    user: ALICE.user,
    headers: { "Content-Type": "application/pkcs10" },
    body: csrDer.toBase64(),
  });
}

Deno.test(
  "dogtag resilience: one pooled TLS connection to the CA serves many EST requests",
  opts,
  async () => {
    const { ca, srv, close } = await startDogtagPair();
    try {
      const before = { connections: ca.connections, requests: ca.requests.length };
      for (let i = 0; i < 5; i++) assert.equal((await enroll(srv)).status, 200);
      const requests = ca.requests.length - before.requests;
      const connections = ca.connections - before.connections;
      assert.ok(requests >= 20, `${requests} CA requests`);
      assert.ok(connections <= 2, `${connections} new TLS connections for ${requests} CA requests`);
      assert.equal(
        ca.callsTo("GET", /login$/).filter((r) => !r.headers.authorization).length,
        1,
        "challenged once",
      );
    } finally {
      await close();
    }
  },
);

Deno.test(
  "dogtag resilience: a slow CA is a 503 after the timeout; dropped GETs are retried, POSTs not",
  opts,
  async () => {
    const { ca, srv, close } = await startDogtagPair({}, { timeout: "1" });
    try {
      assert.equal((await enroll(srv)).status, 200, "warm: the CA has challenged already");
      ca.inject("GET", /profiles/, { delayMs: 1300 });
      const started = performance.now();
      const slow = await enroll(srv);
      const elapsed = performance.now() - started;
      assert.equal(slow.status, 503);
      assert.equal(slow.text, "The CA did not answer in time\n");
      assert.equal(slow.headers.get("retry-after"), "30");
      assert.ok(elapsed >= 900 && elapsed < 2000, `${elapsed} ms: one deadline, no retry`);

      const profiles = ca.callsTo("GET", /profiles/).length;
      ca.inject("GET", /profiles/, { drop: true });
      assert.equal((await enroll(srv)).status, 200, "a dropped GET is tried again");
      assert.equal(ca.callsTo("GET", /profiles/).length, profiles + 2);

      const posts = ca.callsTo("POST", /certrequests$/).length;
      ca.inject("POST", /certrequests$/, { drop: true });
      const dropped = await enroll(srv);
      assert.equal(dropped.status, 503);
      assert.equal(dropped.text, "The CA is unreachable\n");
      assert.equal(ca.callsTo("POST", /certrequests$/).length, posts + 1, "a POST is never repeated");
    } finally {
      await close();
    }
  },
);

Deno.test("dogtag resilience: the CA goes away and comes back; this server keeps running", opts, async () => {
  const { ca, srv, close } = await startDogtagPair();
  const ready = () => curl(`https://127.0.0.1:${srv.port}/ready`, { cacert: srv.caPath });
  try {
    assert.equal((await ready()).status, 200);
    assert.equal((await enroll(srv)).status, 200);
    await ca.stop();
    const down = await enroll(srv);
    assert.equal(down.status, 503);
    assert.equal(down.text, "The CA is unreachable\n");
    const notReady = await ready();
    assert.equal(notReady.status, 503);
    assert.deepEqual(JSON.parse(notReady.text).checks.backend, {
      ok: false,
      detail: "the CA is unreachable",
    });
    assert.equal(
      (await curl(`${srv.base}/cacerts`, { cacert: srv.caPath })).status,
      200,
      "the chain is cached",
    );
    await ca.restart();
    assert.equal((await ready()).status, 200);
    const back = await enroll(srv);
    assert.equal(back.status, 200, back.text);
  } finally {
    await close();
  }
});

Deno.test(
  "dogtag resilience: a CA that expects credentials without challenging gets them",
  opts,
  async () => {
    const { ca, srv, close } = await startDogtagPair({ challenge: false });
    try {
      assert.equal((await enroll(srv)).status, 200);
      assert.equal((await enroll(srv)).status, 200);
      const logins = ca.callsTo("GET", /login$/);
      assert.deepEqual(logins.map((r) => r.headers.authorization !== undefined), [false, true, true]);
    } finally {
      await close();
    }
  },
);
