import "reflect-metadata";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import * as x509 from "@peculiar/x509";
import { PostgresPendingStore } from "../../src/backend/postgres_pending_store.ts";
import { storeName } from "../../src/backend/postgres_store_pool.ts";
import { openPendingStore } from "../../src/backend/open_pending_store.ts";
import { SqlitePendingStore } from "../../src/backend/sqlite_pending_store.ts";
import { caIdentityOf, ForeignCaError } from "../../src/backend/local_ca/ca_identity.ts";
import { PostgresIssuanceStore } from "../../src/backend/local_ca/postgres_issuance_store.ts";
import { SharedIssuanceQuota } from "../../src/ops/limits/shared_issuance_quota.ts";
import { TooManyRequestsError, UnavailableError } from "../../src/errors.ts";
import { issueFromCa, makeOpensslCa } from "../support/pki.ts";
import { DATABASE, PostgresCluster, unlessPostgres } from "../support/postgres.ts";
import { freePort } from "../support/server_process.ts";
import { tempDir } from "../support/temp.ts";

const opts = { ignore: unlessPostgres() };
const KEY = { csrHash: "ab".repeat(32), requester: "alice", operation: "simpleenroll", label: "iot" };

function urlOf(db: PostgresCluster): string {
  return `postgres://${DATABASE.user}:${DATABASE.password}@127.0.0.1:${db.port}/${DATABASE.name}`;
}

Deno.test("pending store: SQLite without a URL, PostgreSQL with one", async () => {
  const dir = await tempDir({ prefix: "est-pending-open-" });
  const sqlite = await openPendingStore({ poolSize: 1, timeoutSeconds: 1 }, dir);
  assert.ok(sqlite instanceof SqlitePendingStore);
  await sqlite.close();
  const pg = await openPendingStore({
    url: `postgres://est@127.0.0.1:${freePort()}/est`,
    poolSize: 1,
    timeoutSeconds: 1,
  }, dir);
  assert.ok(pg instanceof PostgresPendingStore);
  // Nothing is connected before first use; a database that is away is an error then.
  await assert.rejects(pg.list(), Error);
  await assert.rejects(pg.find(KEY), Error, "tried again on the next call");
  await pg.close();
  assert.equal(
    storeName("postgres://est:s3cret@db.example:5432/est?sslmode=require"),
    "postgres://db.example:5432/est",
  );
  assert.equal(storeName("not a url"), "the PostgreSQL store");
});

Deno.test("pending store on PostgreSQL: two servers see one set of requests", opts, async () => {
  const db = await PostgresCluster.start();
  const options = { url: urlOf(db), poolSize: 2, timeoutSeconds: 5 };
  const a = new PostgresPendingStore(options);
  const b = new PostgresPendingStore(options);
  try {
    const [first, again] = await Promise.all([a.add(KEY, "CN=alice"), b.add(KEY, "CN=mallory")]);
    assert.equal(first.id, again.id, "one request per key, whoever adds it");
    const found = (await b.find(KEY))!;
    assert.equal(found.status, "pending");
    assert.equal(found.label, "iot");
    assert.ok(found.createdAt instanceof Date);
    assert.equal(await b.find({ ...KEY, label: undefined }), undefined);
    const unlabelled = await b.add({ ...KEY, label: undefined }, "CN=alice");
    assert.equal(unlabelled.label, undefined);

    assert.equal(await b.decide(found.id, "rejected", "not on the list"), true);
    assert.equal(await a.decide(found.id, "approved"), false, "decided once");
    const decided = (await a.get(found.id))!;
    assert.equal(decided.status, "rejected");
    assert.equal(decided.reason, "not on the list");
    assert.ok(decided.decidedAt instanceof Date);
    assert.deepEqual((await a.list("rejected")).map((r) => r.id), [found.id]);
    assert.deepEqual((await a.list()).map((r) => r.id), [found.id, unlabelled.id]);

    const held = await a.holdAtCa(KEY, "CN=alice", "0x42");
    assert.notEqual(held.id, found.id, "the CA-held record replaces the old one");
    assert.equal(held.caRequestId, "0x42");
    assert.equal(held.status, "pending");
    assert.equal(await b.get(found.id), undefined);
    await b.remove(held.id);
    assert.equal(await a.find(KEY), undefined);
    assert.equal(await a.get(99_999), undefined);
  } finally {
    await a.close();
    await b.close();
    await db.close();
  }
});

Deno.test(
  "quota ledger on PostgreSQL: concurrent reservations on two pools take exactly the limit",
  opts,
  async () => {
    const db = await PostgresCluster.start();
    const options = { url: urlOf(db), poolSize: 4, timeoutSeconds: 5 };
    const [a, b] = await Promise.all([
      PostgresIssuanceStore.open(options),
      PostgresIssuanceStore.open(options),
    ]);
    try {
      const quotas = [new SharedIssuanceQuota(3600, a.quotas), new SharedIssuanceQuota(3600, b.quotas)];
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => quotas[i % 2].reserve("alice", "iot", 5)),
      );
      const granted = outcomes.filter((o) => o.status === "fulfilled");
      assert.equal(granted.length, 5);
      for (const refused of outcomes.filter((o) => o.status === "rejected")) {
        const err = (refused as PromiseRejectedResult).reason;
        assert.ok(err instanceof TooManyRequestsError, String(err));
        assert.match(err.message, /^Issuance quota of 5 certificates per 3600 seconds reached$/);
        const wait = Number(err.headers["Retry-After"]);
        assert.ok(wait > 3500 && wait <= 3600, `Retry-After ${wait}`);
      }
      // A failed issuance gives its place back (once); a successful one keeps it.
      const [kept, failed] = granted.map((g) =>
        (g as PromiseFulfilledResult<(issued: boolean) => void>).value
      );
      kept(true);
      failed(false);
      failed(false);
      for (let i = 0; i < 50 && await db.psql("SELECT count(*) FROM est_issuance_quota") !== "4\n"; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      (await quotas[1].reserve("alice", "iot", 5))(true);
      await assert.rejects(quotas[0].reserve("alice", "iot", 5), TooManyRequestsError);
      // Other requesters and labels count apart; 0 is no quota.
      (await quotas[0].reserve("alice", undefined, 1))(true);
      (await quotas[0].reserve("bob", "iot", 1))(true);
      await assert.rejects(quotas[1].reserve("alice", undefined, 1), TooManyRequestsError);
      (await quotas[1].reserve("alice", "iot", 0))(true);

      // Out of the window, places free (and are cleared).
      await db.psql("UPDATE est_issuance_quota SET reserved_at = reserved_at - interval '2 hours'");
      (await quotas[0].reserve("alice", "iot", 1))(true);
      assert.equal(
        (await db.psql("SELECT count(*) FROM est_issuance_quota WHERE requester = 'alice' AND label = 'iot'"))
          .trim(),
        "1",
      );

      await db.stop();
      await assert.rejects(quotas[0].reserve("alice", "iot", 9), UnavailableError);
    } finally {
      await a.close();
      await b.close();
      await db.close();
    }
  },
);

Deno.test(
  "CA binding on PostgreSQL: the first CA owns the store; another key or subject is refused",
  opts,
  async () => {
    const tmp = await tempDir({ prefix: "est-ca-binding-" });
    const db = await PostgresCluster.start();
    const options = { url: urlOf(db), poolSize: 2, timeoutSeconds: 5 };
    const load = async (path: string) => new x509.X509Certificate(await readFile(path, "utf8"));
    const [one, other] = await Promise.all([makeOpensslCa(tmp, "CA One"), makeOpensslCa(tmp, "CA Other")]);
    const identity = await caIdentityOf(await load(one.certPath));
    const foreign = await caIdentityOf(await load(other.certPath));
    const store = await PostgresIssuanceStore.open(options);
    try {
      await Promise.all([store.claimCa(identity), store.claimCa(identity)]);
      await store.claimCa(identity);
      await assert.rejects(store.claimCa(foreign), (err: unknown) => {
        assert.ok(err instanceof ForeignCaError);
        assert.match(
          err.message,
          new RegExp(`^postgres://127\\.0\\.0\\.1:${db.port}/est holds certificates`),
        );
        assert.match(err.message, new RegExp(`"CN=CA One" \\(key sha256:${identity.keySha256}\\)`));
        assert.match(
          err.message,
          new RegExp(`this server's CA is "CN=CA Other" \\(key sha256:${foreign.keySha256}\\)`),
        );
        assert.doesNotMatch(err.message, /Secret\.123/);
        return true;
      });
      // The same key and subject in a renewed certificate is the same CA.
      await store.claimCa({ ...identity, certSha256: "00".repeat(32) });
      assert.equal((await db.psql("SELECT cert_sha256 FROM est_store_ca")).trim(), "00".repeat(32));
      await assert.rejects(store.claimCa({ ...identity, subject: "CN=Renamed" }), ForeignCaError);

      // A store used before the CA was recorded is judged by the certificate it issued last.
      await db.psql("DELETE FROM est_store_ca");
      const leaf = await issueFromCa(tmp, one, "/CN=leaf");
      await store.record({
        serial: "01",
        subject: "CN=leaf",
        sans: [],
        notBefore: new Date(),
        notAfter: new Date(Date.now() + 86_400_000),
        requester: "alice",
        operation: "simpleenroll",
        issuedAt: new Date(),
        der: leaf.der,
      });
      await assert.rejects(
        store.claimCa(foreign),
        /holds certificates of the CA "CN=CA One" \(authority key id [0-9a-f]{40}\)/,
      );
      assert.equal((await db.psql("SELECT count(*) FROM est_store_ca")).trim(), "0", "nothing recorded");
      await store.claimCa(identity);
      assert.equal((await db.psql("SELECT subject FROM est_store_ca")).trim(), "CN=CA One");
    } finally {
      await store.close();
      await db.close();
    }
  },
);
