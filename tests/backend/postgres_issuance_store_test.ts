import "reflect-metadata";
import assert from "node:assert/strict";
import { type IssuedRecord, SerialTakenError } from "../../src/backend/local_ca/issuance_store.ts";
import { PostgresIssuanceStore } from "../../src/backend/local_ca/postgres_issuance_store.ts";
import { DATABASE, PostgresCluster, unlessPostgres } from "../support/postgres.ts";
import { freePort } from "../support/server_process.ts";

Deno.test("postgres store: a database that does not answer is an error at open, without the password", async () => {
  const url = `postgres://est:s3cret@127.0.0.1:${freePort()}/est`;
  await assert.rejects(
    PostgresIssuanceStore.open({ url, poolSize: 2, timeoutSeconds: 2 }),
    (err: unknown) => {
      assert.match((err as Error).message, /^cannot open the issuance database: /);
      assert.doesNotMatch((err as Error).message, /s3cret/);
      return true;
    },
  );
});

function record(serial: string, subject: string, notAfter: Date, issuedAt = new Date()): IssuedRecord {
  return {
    serial,
    subject,
    sans: [`dns:${serial}.example`],
    notBefore: new Date(issuedAt.getTime() - 60_000),
    notAfter,
    requester: "alice",
    operation: "simpleenroll",
    label: "iot",
    issuedAt,
    der: Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01),
  };
}

Deno.test("postgres store: records, revocations, listing; replicas opening together share one table", {
  ignore: unlessPostgres(),
}, async () => {
  const db = await PostgresCluster.start();
  const url = `postgres://${DATABASE.user}:${DATABASE.password}@127.0.0.1:${db.port}/${DATABASE.name}`;
  const options = { url, poolSize: 3, timeoutSeconds: 5 };
  const [a, b] = await Promise.all([
    PostgresIssuanceStore.open(options),
    PostgresIssuanceStore.open(options),
  ]);
  try {
    const later = new Date(Date.now() + 86_400_000);
    await a.record(record("4a01", "CN=alice,O=Example", later, new Date(Date.now() - 3_600_000)));
    await b.record(record("4a02", "CN=bob", later));
    await a.record(record("4a03", "CN=carol", new Date(Date.now() - 1000)));
    await assert.rejects(b.record(record("4a01", "CN=mallory", later)), SerialTakenError);
    const got = (await b.get("4a01"))!;
    assert.equal(got.subject, "CN=alice,O=Example");
    assert.deepEqual(got.sans, ["dns:4a01.example"]);
    assert.equal(got.label, "iot");
    assert.equal(got.renews, undefined);
    assert.deepEqual(got.der, Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01));
    assert.equal(await a.get("ffff"), undefined);
    assert.equal(await b.count(), 3);

    const before = await b.revocationMarker();
    assert.equal(await a.revoke("4a02", "keyCompromise"), true);
    assert.equal(await a.revoke("4a02", "superseded"), false, "already revoked");
    assert.equal(await a.revoke("ffff", "superseded"), false, "unknown");
    assert.notEqual(await b.revocationMarker(), before, "the other replica sees the change");
    const revoked = await b.revoked();
    assert.deepEqual(revoked.map((r) => [r.serial, r.reason]), [["4a02", "keyCompromise"]]);
    assert.equal((await b.get("4a02"))!.revocationReason, "keyCompromise");

    const serials = async (filter: Parameters<typeof a.list>[0]) =>
      (await b.list(filter)).map((r) => r.serial);
    assert.deepEqual(await serials({ status: "revoked" }), ["4a02"]);
    assert.deepEqual(await serials({ status: "valid" }), ["4a01"]);
    assert.deepEqual(await serials({ status: "expired" }), ["4a03"]);
    assert.deepEqual(await serials({ subject: "ALICE" }), ["4a01"]);
    assert.deepEqual((await serials({ since: new Date(Date.now() - 60_000) })).sort(), ["4a02", "4a03"]);
    assert.equal((await serials({ limit: 2 })).length, 2);
    await a.ping();
  } finally {
    await a.close();
    await b.close();
    await db.close();
  }
});
