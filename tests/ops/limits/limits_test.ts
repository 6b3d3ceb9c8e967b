import assert from "node:assert/strict";
import { clientKeyOf } from "../../../src/ops/limits/client_key.ts";
import { FailureLockout } from "../../../src/ops/limits/failure_lockout.ts";
import { MemoryIssuanceHistory } from "../../../src/ops/limits/issuance_history.ts";
import { IssuanceQuota } from "../../../src/ops/limits/issuance_quota.ts";
import { TokenBuckets } from "../../../src/ops/limits/token_buckets.ts";
import { TooManyRequestsError } from "../../../src/errors.ts";

Deno.test("token buckets: a burst, then the rate; keys are independent", () => {
  const buckets = new TokenBuckets({ rate: 2, burst: 3 }, 10);
  const t = 1_000_000;
  assert.deepEqual([0, 0, 0].map(() => buckets.take("a", t)), [0, 0, 0]);
  assert.equal(buckets.take("a", t), 0.5, "the next token comes in half a second");
  assert.equal(buckets.take("b", t), 0);
  assert.equal(buckets.take("a", t + 500), 0);
  assert.ok(buckets.take("a", t + 500) > 0);
  assert.equal(buckets.take("a", t + 60_000), 0, "refilled (up to the burst)");
});

Deno.test("lockout: after N failures, doubling up to the maximum; success or a quiet period starts over", () => {
  const lockout = new FailureLockout({ after: 3, baseSeconds: 1, maxSeconds: 8 }, 10);
  const t = 1_000_000;
  assert.equal(lockout.fail("u", t), false);
  assert.equal(lockout.fail("u", t), false);
  assert.equal(lockout.lockedFor("u", t), 0);
  assert.equal(lockout.fail("u", t), true);
  assert.equal(lockout.lockedFor("u", t), 1);
  lockout.fail("u", t);
  assert.equal(lockout.lockedFor("u", t), 2);
  for (let i = 0; i < 40; i++) lockout.fail("u", t);
  assert.equal(lockout.lockedFor("u", t), 8, "capped");
  assert.equal(lockout.lockedFor("u", t + 8_000), 0, "over");
  assert.equal(lockout.fail("u", t + 17_000), false, "a quiet period longer than the maximum starts over");
  lockout.fail("u", t + 17_000);
  lockout.fail("u", t + 17_000);
  assert.ok(lockout.lockedFor("u", t + 17_000) > 0);
  lockout.succeed("u");
  assert.equal(lockout.lockedFor("u", t + 17_000), 0);
});

Deno.test("client key: IPv4 as it is, IPv4-mapped as IPv4, IPv6 by /64", () => {
  assert.equal(clientKeyOf("192.0.2.7"), "192.0.2.7");
  assert.equal(clientKeyOf("::ffff:192.0.2.7"), "192.0.2.7");
  assert.equal(clientKeyOf("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(clientKeyOf("2001:db8:1:2:bbbb:cccc:dddd:eeee"), "2001:db8:1:2::/64");
  assert.equal(clientKeyOf("::1"), "0:0:0:0::/64");
  assert.equal(clientKeyOf("2001:db8::"), "2001:db8:0:0::/64");
  assert.equal(clientKeyOf(undefined), "unknown");
});

Deno.test("issuance quota: reservations count, a failed issuance does not, 429 says when a place frees", () => {
  const history = new MemoryIssuanceHistory(60, 10);
  const quota = new IssuanceQuota(60, history, 10);
  const now = new Date(1_000_000_000);
  const first = quota.reserve("alice", "iot", 2, now);
  const second = quota.reserve("alice", "iot", 2, now);
  assert.throws(() => quota.reserve("alice", "iot", 2, now), TooManyRequestsError, "two in flight");
  second(false);
  second(false);
  const third = quota.reserve("alice", "iot", 2, now);
  first(true);
  third(true);
  quota.reserve("alice", undefined, 2, now)(true);
  quota.reserve("bob", "iot", 2, now)(true);
  assert.throws(() => quota.reserve("alice", "iot", 2), (err: unknown) => {
    assert.ok(err instanceof TooManyRequestsError);
    assert.equal(err.status, 429);
    assert.match(err.message, /^Issuance quota of 2 certificates per 60 seconds reached$/);
    assert.ok(Number(err.headers["Retry-After"]) >= 1 && Number(err.headers["Retry-After"]) <= 61);
    return true;
  });
  quota.reserve("alice", "iot", 0)(true);
  assert.equal(history.issuedSince("alice", "iot", new Date(0)).count, 2, "a quota of 0 counts nothing");
  assert.equal(history.issuedSince("carol", "iot", new Date(0)).count, 0);
  assert.equal(
    history.issuedSince("alice", "iot", new Date(Date.now() + 120_000)).count,
    0,
    "out of the window",
  );
});

Deno.test("issuance quota: two threads' quotas over one memory never grant more than the quota together", () => {
  const history = new MemoryIssuanceHistory(60, 10);
  const first = new IssuanceQuota(60, history, 10);
  const memory = first.memory();
  const second = new IssuanceQuota(
    60,
    new MemoryIssuanceHistory(60, 10, memory.history!),
    10,
    memory.inFlight,
  );
  const now = new Date(1_000_000_000);
  const a = first.reserve("alice", undefined, 3, now);
  const b = second.reserve("alice", undefined, 3, now);
  a(true);
  const c = second.reserve("alice", undefined, 3, now);
  assert.throws(
    () => first.reserve("alice", undefined, 3, now),
    TooManyRequestsError,
    "2 in flight, 1 issued",
  );
  b(true);
  c(false);
  first.reserve("alice", undefined, 3, now)(true);
  assert.throws(
    () => second.reserve("alice", undefined, 3, now),
    TooManyRequestsError,
    "3 issued between both",
  );
  assert.equal(history.issuedSince("alice", undefined, new Date(0)).count, 3);
});

Deno.test("issuance quota: counted from a store, a reservation on one thread is seen by the other", () => {
  let issued = 0;
  const store = { issuedSince: () => ({ count: issued }), record() {} };
  const first = new IssuanceQuota(60, store, 10);
  const second = new IssuanceQuota(60, store, 10, first.memory().inFlight);
  assert.equal(first.memory().history, undefined, "the store keeps the history");
  const release = first.reserve("alice", "iot", 1);
  assert.throws(() => second.reserve("alice", "iot", 1), TooManyRequestsError);
  issued = 1; // committed to the store before the reservation ends
  release(true);
  assert.throws(() => second.reserve("alice", "iot", 1), TooManyRequestsError);
  issued = 0;
  second.reserve("alice", "iot", 1)(false);
});
