import assert from "node:assert/strict";
import { DeadlineError, withDeadline } from "../../src/realm/deadline.ts";
import { ConnectionPool } from "../../src/realm/ldap/connection_pool.ts";

/** The pool's bookkeeping, with plain objects standing in for directory connections. */

interface FakeConnection {
  id: number;
  open: boolean;
}

function pool(options: { max?: number; min?: number; idleMs?: number; failOpen?: () => boolean } = {}) {
  let next = 0;
  const closed: number[] = [];
  const p = new ConnectionPool<FakeConnection>({
    open: () =>
      options.failOpen?.()
        ? Promise.reject(new Error("refused"))
        : Promise.resolve({ id: next++, open: true }),
    close: (c) => {
      c.open = false;
      closed.push(c.id);
      return Promise.resolve();
    },
    isOpen: (c) => c.open,
    min: options.min ?? 0,
    max: options.max ?? 2,
    acquireTimeoutMs: 200,
    idleMs: options.idleMs ?? 60_000,
  });
  return { p, closed };
}

Deno.test("pool: connections are reused, at most max at once; waiters get released ones", async () => {
  const { p } = pool({ max: 2 });
  assert.equal(await p.use((c) => Promise.resolve(c.id)), 0);
  assert.equal(await p.use((c) => Promise.resolve(c.id)), 0, "reused");
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  const busy = [p.use(() => held), p.use(() => held)];
  const waiter = p.use((c) => Promise.resolve(c.id));
  assert.equal(p.size, 2);
  release();
  await Promise.all(busy);
  assert.ok([0, 1].includes(await waiter));
  assert.equal(p.size, 2);
  await p.close();
  await assert.rejects(p.use(() => Promise.resolve()), /closed/);
});

Deno.test("pool: all busy beyond the acquire timeout is a DeadlineError", async () => {
  const { p } = pool({ max: 1 });
  let release!: () => void;
  const busy = p.use(() => new Promise<void>((r) => release = r));
  await assert.rejects(p.use(() => Promise.resolve()), DeadlineError);
  release();
  await busy;
  await p.close();
});

Deno.test("pool: a failed use or a closed connection is replaced; a failed open frees its slot", async () => {
  let failing = false;
  const { p, closed } = pool({ max: 1, failOpen: () => failing });
  await assert.rejects(p.use(() => Promise.reject(new Error("boom"))), /boom/);
  assert.deepEqual(closed, [0], "the connection that failed is closed");
  const second = await p.use((c) => Promise.resolve(c));
  second.open = false; // the peer went away while idle
  assert.equal(await p.use((c) => Promise.resolve(c.id)), 2);
  await p.use((c) => {
    c.open = false; // ...or during use
    return Promise.resolve();
  });
  failing = true;
  await assert.rejects(p.use(() => Promise.resolve()), /refused/);
  failing = false;
  assert.equal(p.size, 0);
  assert.equal(await p.use((c) => Promise.resolve(c.id)), 3);
  await p.close();
});

Deno.test("pool: idle connections above min are closed after idleMs", async () => {
  const { p, closed } = pool({ max: 3, min: 1, idleMs: 1 });
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  const uses = [p.use(() => held), p.use(() => held), p.use(() => held)];
  release();
  await Promise.all(uses);
  assert.equal(p.size, 3);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(p.size, 1, "min kept");
  assert.equal(closed.length, 2);
  await p.close();
});

Deno.test("deadline: the work's result, or a DeadlineError and the cleanup after ms", async () => {
  assert.equal(await withDeadline(Promise.resolve(7), 100, "x"), 7);
  let cleaned = false;
  const never = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("late")), 300));
  await assert.rejects(
    withDeadline(never, 20, "the directory", () => cleaned = true),
    { name: "DeadlineError", message: "the directory did not answer within 0.02 s" },
  );
  assert.ok(cleaned);
  await new Promise((r) => setTimeout(r, 350)); // the late rejection is swallowed, not unhandled
});
