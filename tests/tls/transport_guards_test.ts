import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { EventEmitter } from "node:events";
import { AcceptWatchdog, probeHost, probeListener } from "../../src/tls/accept_watchdog.ts";
import { clientErrorKind } from "../../src/tls/client_errors.ts";
import { addressCountMemory, ConnectionLimiter } from "../../src/tls/connection_limits.ts";
import { SharedLimitTable } from "../../src/ops/limits/shared_limit_table.ts";
import { fileLimitProblem, openFileLimit } from "../../src/ops/file_limit.ts";
import { LogThrottle } from "../../src/ops/log_throttle.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function fakeSocket(remoteAddress: string): Socket & EventEmitter {
  return Object.assign(new EventEmitter(), { remoteAddress }) as unknown as Socket & EventEmitter;
}

Deno.test("connection limiter: in all and per address, counted out on close", () => {
  const limiter = new ConnectionLimiter({ maxConnections: 3, maxConnectionsPerIp: 2 });
  const a1 = fakeSocket("192.0.2.1");
  assert.equal(limiter.admit(a1), undefined);
  assert.equal(limiter.admit(fakeSocket("::ffff:192.0.2.1")), undefined, "the same client in IPv6 form");
  assert.equal(limiter.admit(fakeSocket("192.0.2.1")), "max_connections_per_ip");
  assert.equal(limiter.admit(fakeSocket("192.0.2.2")), undefined);
  assert.equal(limiter.admit(fakeSocket("192.0.2.3")), "max_connections");
  assert.equal(limiter.open, 3);
  a1.emit("close");
  assert.equal(limiter.open, 2);
  assert.equal(limiter.admit(fakeSocket("192.0.2.1")), undefined);
  const nameless = fakeSocket(undefined as unknown as string);
  assert.equal(
    new ConnectionLimiter({ maxConnections: 1, maxConnectionsPerIp: 1 }).admit(nameless),
    undefined,
  );
});

Deno.test("connection limiter: listener threads share the per-address count, and it goes on close", () => {
  const limits = { maxConnections: 10, maxConnectionsPerIp: 3 };
  const counts = addressCountMemory(limits, 2);
  const [first, second] = [new ConnectionLimiter(limits, counts), new ConnectionLimiter(limits, counts)];
  const sockets = [fakeSocket("192.0.2.7"), fakeSocket("192.0.2.7")];
  assert.equal(first.admit(sockets[0]), undefined);
  assert.equal(second.admit(sockets[1]), undefined);
  assert.equal(first.admit(fakeSocket("192.0.2.7")), undefined);
  assert.equal(second.admit(fakeSocket("192.0.2.7")), "max_connections_per_ip", "3 between both threads");
  assert.equal(second.admit(fakeSocket("192.0.2.8")), undefined, "other addresses are unaffected");
  sockets[0].emit("close");
  assert.equal(
    second.admit(fakeSocket("192.0.2.7")),
    undefined,
    "a close on one thread frees a place on the other",
  );
  const table = new SharedLimitTable(counts);
  assert.equal(table.size(), 2);
  for (let i = 0; i < 500; i++) {
    const socket = fakeSocket(`198.51.100.${i % 250}`);
    assert.equal((i % 2 ? first : second).admit(socket), undefined);
    socket.emit("close");
  }
  assert.equal(table.size(), 2, "an address whose connections all closed is forgotten");
});

Deno.test("log throttle: one line per interval, standing for the events in between", () => {
  const throttle = new LogThrottle(1000);
  assert.equal(throttle.take(0), 1);
  assert.equal(throttle.take(10), 0);
  assert.equal(throttle.take(20), 0);
  assert.equal(throttle.take(1500), 3);
});

Deno.test("file limit: read from /proc/self/limits, and a warning when connections do not fit", () => {
  const limits = "Limit                     Soft Limit           Hard Limit           Units\n" +
    "Max open files            1024                 524288               files\n";
  assert.equal(openFileLimit(limits), 1024);
  assert.equal(openFileLimit("Max open files            unlimited            unlimited  files\n"), Infinity);
  assert.equal(openFileLimit("nothing here\n"), undefined);
  assert.ok(typeof openFileLimit() === "number", "this process's own limit");
  assert.equal(fileLimitProblem(900, 1024), undefined);
  assert.match(fileLimitProblem(1000, 1024)!, /RLIMIT_NOFILE 1024\) is below the 1064 descriptors/);
  assert.equal(fileLimitProblem(1000, Infinity), undefined);
  assert.equal(fileLimitProblem(1000, undefined), undefined);
});

Deno.test("client errors: parser codes map to what the client is told", () => {
  const kind = (code?: string) => clientErrorKind(Object.assign(new Error("x"), { code }));
  assert.equal(kind("HPE_HEADER_OVERFLOW"), "header_too_large");
  assert.equal(kind("ERR_HTTP_REQUEST_TIMEOUT"), "header_timeout");
  assert.equal(kind("ECONNRESET"), "aborted");
  assert.equal(kind("EPIPE"), "aborted");
  assert.equal(kind("HPE_INVALID_METHOD"), "bad_request");
  assert.equal(kind(undefined), "bad_request");
});

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

Deno.test(
  "accept watchdog: a listener that accepts is left alone; one that does not is re-opened",
  opts,
  async () => {
    assert.equal(probeHost("0.0.0.0"), "127.0.0.1");
    assert.equal(probeHost("::"), "::1");
    assert.equal(probeHost("192.0.2.7"), "192.0.2.7");
    const accepting = createServer((socket) => socket.destroy());
    const port = await listening(accepting);
    assert.equal(await probeListener("127.0.0.1", port, 2000), true);
    // A bare listening socket whose connections nobody accepts (they wait in the backlog).
    const deaf = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const deafPort = (deaf.addr as Deno.NetAddr).port;
    assert.equal(await probeListener("127.0.0.1", deafPort, 300), false);
    const closedPort = (() => {
      const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const p = (l.addr as Deno.NetAddr).port;
      l.close();
      return p;
    })();
    assert.equal(await probeListener("127.0.0.1", closedPort, 300), false, "nothing listens there");
    assert.equal(await probeListener("127.0.0.1", 0, 300), undefined, "no probe can be made");
    try {
      let reopened = 0;
      const watchdog = new AcceptWatchdog({
        host: "127.0.0.1",
        port: deafPort,
        intervalMs: 60_000,
        probeTimeoutMs: 300,
        relisten: () => Promise.resolve(void reopened++),
      });
      watchdog.noteAccepted();
      assert.equal(await watchdog.check(), false, "accepted since the last check: no probe");
      assert.equal(await watchdog.check(), false, "a first unanswered probe");
      assert.equal(await watchdog.check(), true, "a second in a row re-opens");
      assert.equal(reopened, 1);
      watchdog.start();
      watchdog.stop();
      const healthy = new AcceptWatchdog({
        host: "127.0.0.1",
        port,
        intervalMs: 60_000,
        probeTimeoutMs: 2000,
        relisten: () => Promise.reject(new Error("must not re-open")),
      });
      assert.equal(await healthy.check(), false);
      assert.equal(await healthy.check(), false);
    } finally {
      deaf.close();
      accepting.close();
    }
  },
);
