import assert from "node:assert/strict";
import {
  CaClient,
  type CaClientOptions,
  CaUnreachableError,
  ResponseTooLargeError,
} from "../../../src/backend/dogtag_ra/ca_client.ts";
import { FakeDogtagCa } from "../../support/fake_dogtag_ca.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const LOGIN = { call: "login", method: "GET", path: "/ca/v2/account/login" } as const;

interface Observed {
  call: string;
  seconds: number;
  ok: boolean;
}

async function withCa(
  test: (
    ca: FakeDogtagCa,
    client: (extra?: Partial<CaClientOptions>) => CaClient,
    seen: Observed[],
  ) => Promise<void>,
  caOptions: Parameters<typeof FakeDogtagCa.start>[0] = {},
): Promise<void> {
  const ca = await FakeDogtagCa.start(caOptions);
  const seen: Observed[] = [];
  const clients: CaClient[] = [];
  const caBundlePem = await Deno.readTextFile(ca.caBundlePath);
  const client = (extra: Partial<CaClientOptions> = {}) => {
    const c = new CaClient({
      baseUrl: ca.url,
      timeoutMs: 1000,
      caBundlePem,
      credentials: { username: "est-ra-1", password: "est4ever" },
      observe: (call, seconds, ok) => seen.push({ call, seconds, ok }),
      retry: { attempts: 3, baseDelayMs: 10 },
      ...extra,
    });
    clients.push(c);
    return c;
  };
  try {
    await test(ca, client, seen);
  } finally {
    for (const c of clients) c.close();
    await ca.close();
  }
}

Deno.test("ca client: answers a Basic challenge once, then sends credentials up front", opts, async () => {
  await withCa(async (ca, client, seen) => {
    const c = client();
    assert.equal((await c.exchange(LOGIN)).status, 200);
    assert.equal((await c.exchange(LOGIN)).status, 200);
    assert.deepEqual(ca.requests.map((r) => r.headers.authorization !== undefined), [false, true, true]);
    assert.deepEqual(seen.map((s) => [s.call, s.ok]), [["login", true], ["login", true], ["login", true]]);
    assert.ok(seen.every((s) => s.seconds >= 0 && s.seconds < 1));
  });
});

Deno.test("ca client: a CA that never challenges (401 JSON) gets the credentials too", opts, async () => {
  await withCa(async (ca, client) => {
    const c = client();
    assert.equal((await c.exchange(LOGIN)).status, 200);
    assert.equal(ca.requests[0].headers["www-authenticate"], undefined);
    assert.deepEqual(ca.requests.map((r) => r.headers.authorization !== undefined), [false, true]);
  }, { challenge: false });
});

Deno.test(
  "ca client: wrong credentials end as the CA's 401; no credentials, no second try",
  opts,
  async () => {
    await withCa(async (ca, client) => {
      const wrong = client({ credentials: { username: "est-ra-1", password: "nope" } });
      assert.equal((await wrong.exchange(LOGIN)).status, 401);
      assert.equal(ca.requests.length, 2);
      const none = client({ credentials: undefined });
      assert.equal((await none.exchange(LOGIN)).status, 401);
      assert.equal(ca.requests.length, 3);
    });
  },
);

Deno.test("ca client: one keep-alive connection serves many exchanges", opts, async () => {
  await withCa(async (ca, client) => {
    const c = client();
    for (let i = 0; i < 10; i++) assert.equal((await c.exchange(LOGIN)).status, 200);
    assert.equal(ca.requests.length, 11);
    // Usually 1; a pooled connection released a moment after the next request started makes another.
    assert.ok(ca.connections <= 3, `${ca.connections} TLS connections for 11 requests`);
  });
});

Deno.test(
  "ca client: GETs are retried on dropped connections and 502/503/504, POSTs never",
  opts,
  async () => {
    await withCa(async (ca, client, seen) => {
      const c = client({ credentials: undefined });
      const chain = {
        call: "chain",
        method: "GET",
        path: "/ca/v2/authorities/host-authority/chain",
      } as const;
      ca.inject("GET", /chain$/, { drop: true });
      assert.equal((await c.exchange(chain)).status, 200);
      ca.inject("GET", /chain$/, { status: 503 }, 2);
      assert.equal((await c.exchange(chain)).status, 200);
      assert.equal(ca.callsTo("GET", /chain$/).length, 5);
      assert.deepEqual(seen.map((s) => s.ok), [false, true, false, false, true]);

      ca.inject("GET", /chain$/, { status: 502 }, 3);
      assert.equal((await c.exchange(chain)).status, 502, "the last answer after three attempts");
      ca.inject("GET", /chain$/, { drop: true }, 3);
      await assert.rejects(c.exchange(chain), (err) => err instanceof CaUnreachableError && !err.timedOut);
      assert.equal(ca.callsTo("GET", /chain$/).length, 11);
      ca.inject("GET", /chain$/, { status: 503 });
      assert.equal((await c.exchange({ ...chain, retry: false })).status, 503);

      const submit = { call: "submit", method: "POST", path: "/ca/v2/certrequests", body: "{}" } as const;
      ca.inject("POST", /certrequests$/, { drop: true });
      await assert.rejects(c.exchange(submit), CaUnreachableError);
      ca.inject("POST", /certrequests$/, { status: 503 });
      assert.equal((await c.exchange(submit)).status, 503);
      assert.equal(ca.callsTo("POST", /certrequests$/).length, 2);
    });
  },
);

Deno.test("ca client: a slow CA hits the deadline once; timeouts are not retried", opts, async () => {
  await withCa(async (ca, client, seen) => {
    const c = client({ timeoutMs: 200 });
    ca.inject("GET", /login$/, { delayMs: 600 }, 5);
    const started = performance.now();
    await assert.rejects(
      c.exchange(LOGIN),
      (err) =>
        err instanceof CaUnreachableError && err.timedOut && /did not answer login in time/.test(err.message),
    );
    assert.ok(performance.now() - started < 550, "no retry after a timeout");
    assert.equal(ca.callsTo("GET", /login$/).length, 1);
    assert.deepEqual(seen.map((s) => [s.call, s.ok]), [["login", false]]);
    await assert.rejects(c.exchange({ ...LOGIN, timeoutMs: 100 }), CaUnreachableError);
  });
});

Deno.test("ca client: redirects are not followed; oversized answers are refused", opts, async () => {
  await withCa(async (ca, client) => {
    const c = client({ maxResponseBytes: 64, credentials: undefined });
    ca.inject("GET", /login$/, { status: 302, text: "moved" });
    assert.equal((await c.exchange(LOGIN)).status, 302);
    await assert.rejects(
      c.exchange({ call: "chain", method: "GET", path: "/ca/v2/authorities/host-authority/chain" }),
      ResponseTooLargeError,
    );
  });
});

Deno.test("ca client: an untrusted CA certificate or a stopped CA is unreachable", opts, async () => {
  await withCa(async (ca, client) => {
    await assert.rejects(
      client({ caBundlePem: undefined, retry: { attempts: 1, baseDelayMs: 1 } }).exchange(LOGIN),
      (err) => err instanceof CaUnreachableError && /cannot reach the CA for login/.test(err.message),
    );
    await ca.stop();
    await assert.rejects(
      client().exchange(LOGIN),
      (err) => err instanceof CaUnreachableError && !err.timedOut,
    );
  });
});
