import assert from "node:assert/strict";
import { join } from "node:path";
import { renderEffectiveConfig } from "../../src/config/effective.ts";
import { loadConfig } from "../../src/config/load.ts";
import { redactedStoreUrl, storeSection } from "../../src/config/store_schema.ts";
import { tempDir } from "../support/temp.ts";

Deno.test("config [store]: SQLite by default; a postgres URL selects PostgreSQL", () => {
  assert.deepEqual(storeSection.parse({}), { pool_size: 10, timeout: 5 });
  const pg = storeSection.parse({ url: "postgresql://est@db.example.com/est", pool_size: 4, timeout: 2 });
  assert.deepEqual(pg, { url: "postgresql://est@db.example.com/est", pool_size: 4, timeout: 2 });
  for (const url of ["mysql://db/est", "not a url", "postgres:///est"]) {
    const result = storeSection.safeParse({ url });
    assert.equal(result.success, false, url);
    assert.equal(
      result.error!.issues[0].message,
      "must be a postgres:// URL such as postgres://est@db.example.com:5432/est",
    );
  }
});

Deno.test("config [store]: check-config never shows the database password", async () => {
  assert.equal(
    redactedStoreUrl("postgres://est:s3cret@db:5432/est"),
    "postgres://est:<redacted>@db:5432/est",
  );
  assert.equal(redactedStoreUrl("postgres://est@db/est"), "postgres://est@db/est");
  const dir = await tempDir({ prefix: "est-config-" });
  await Deno.writeTextFile(join(dir, "server.toml"), '[store]\nurl = "postgres://est:s3cret@db:5432/est"\n');
  const text = renderEffectiveConfig(loadConfig(dir));
  assert.doesNotMatch(text, /s3cret/);
  assert.match(text, /\[store\]\nurl = "postgres:\/\/est:<redacted>@db:5432\/est"/);
  const plain = renderEffectiveConfig(loadConfig(await tempDir({ prefix: "est-config-" })));
  assert.match(plain, /\[store\]\npool_size = 10\ntimeout = 5/);
});
