import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import { redactSecrets, renderEffectiveConfig } from "../../src/config/effective.ts";
import { loadConfig } from "../../src/config/load.ts";
import { tempDir } from "../support/temp.ts";

Deno.test("effective config: secrets are redacted at any depth, paths are kept", () => {
  assert.deepEqual(
    redactSecrets({
      password: "p",
      bindPassword: "b",
      passwordFile: "/etc/pw",
      list: [{ client_secret: "s", token: "t" }],
      nested: { apiToken: "x", keep: 1 },
      n: null,
    }),
    {
      password: "<redacted>",
      bindPassword: "<redacted>",
      passwordFile: "/etc/pw",
      list: [{ client_secret: "<redacted>", token: "<redacted>" }],
      nested: { apiToken: "<redacted>", keep: 1 },
      n: null,
    },
  );
});

Deno.test("effective config: renders as TOML that names sources and hides the password", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(
    join(dir, "server.toml"),
    '[server]\nbind = "[::1]:8443"\n[realm]\nclass = "in-memory"\nusername = "alice"\npassword = "4me2Test"\n',
  );
  await Deno.writeTextFile(join(dir, "authorizer.conf"), "class=external-process\nexecutable=/bin/true\n");
  const text = renderEffectiveConfig(loadConfig(dir));
  assert.ok(!text.includes("4me2Test"));
  assert.match(text, /^# effective configuration of /);
  assert.match(text, /# realm: server\.toml/);
  assert.match(text, /# authorizer: authorizer\.conf/);
  assert.match(text, /# backend: default/);
  const doc = parse(text) as Record<string, Record<string, unknown>>;
  assert.equal(doc.server.bind, "[::1]:8443");
  assert.equal(doc.realm.password, "<redacted>");
  assert.equal(doc.realm.class, "in-memory");
  assert.equal(doc.authorizer.class, "external-process");
  assert.equal(doc.backend.class, "local-ca");
  assert.equal(doc.audit.enabled, true);
});

Deno.test("effective config: without a realm or authorizer section", async () => {
  const dir = await tempDir();
  const doc = parse(renderEffectiveConfig(loadConfig(dir))) as Record<string, Record<string, unknown>>;
  assert.equal(doc.realm, undefined);
  assert.deepEqual({ ...doc.authorizer }, { enrollMatchTLSSubjSAN: true });
  await Deno.writeTextFile(join(dir, "server.toml"), "[audit]\nenabled = false\n");
  const off = parse(renderEffectiveConfig(loadConfig(dir))) as Record<string, Record<string, unknown>>;
  assert.deepEqual({ ...off.audit }, { enabled: false });
});

Deno.test("effective config: shows the crypto provider setting", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "server.toml"), '[crypto]\nprovider = "webcrypto"\n');
  const doc = parse(renderEffectiveConfig(loadConfig(dir))) as Record<string, Record<string, unknown>>;
  assert.deepEqual({ ...doc.crypto }, { provider: "webcrypto" });
});
