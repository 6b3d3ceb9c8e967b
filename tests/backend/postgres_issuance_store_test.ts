import assert from "node:assert/strict";
import { PostgresIssuanceStore } from "../../src/backend/local_ca/postgres_issuance_store.ts";
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
