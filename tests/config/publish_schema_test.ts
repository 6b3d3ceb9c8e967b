import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";
import { publishSection } from "../../src/config/publish_schema.ts";
import { tempDir } from "../support/temp.ts";

function messages(input: unknown): string[] {
  const result = publishSection.safeParse(input);
  assert.equal(result.success, false);
  return result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

Deno.test("config [publish]: on by default on loopback port 8080, CRL a day, OCSP five minutes", async () => {
  const dir = await tempDir({ prefix: "est-config-" });
  const config = loadConfig(dir);
  assert.deepEqual(config.publish, {
    enabled: true,
    bind: { host: "127.0.0.1", port: 8080 },
    crl_validity_hours: 24,
    ocsp_validity: 300,
    ocsp_signer: "ca",
    poll_interval: 2,
  });
});

Deno.test("config [publish]: base_url is an http(s) base without query or credentials", () => {
  assert.equal(
    publishSection.parse({ base_url: "http://pki.example.com/est/" }).base_url,
    "http://pki.example.com/est",
  );
  assert.equal(
    publishSection.parse({ base_url: "https://pki.example.com" }).base_url,
    "https://pki.example.com",
  );
  assert.deepEqual(messages({ base_url: "pki.example.com" }), [
    "base_url: must be an http:// URL such as http://pki.example.com",
  ]);
  assert.deepEqual(messages({ base_url: "ldap://pki.example.com" }), [
    "base_url: must be an http:// URL such as http://pki.example.com",
  ]);
  for (
    const url of ["http://pki.example.com/?a=b", "http://u:p@pki.example.com", "http://pki.example.com/#x"]
  ) {
    assert.deepEqual(messages({ base_url: url }), [
      "base_url: must be a base URL without query, fragment or credentials",
    ]);
  }
});

Deno.test("config [publish]: a wildcard bind needs base_url; the signer is ca or delegated", async () => {
  assert.deepEqual(messages({ bind: "0.0.0.0:8080" }), [
    "base_url: with a wildcard bind, set base_url to an address relying parties can reach",
  ]);
  assert.equal(publishSection.parse({ bind: "[::]:80", base_url: "http://pki" }).bind.host, "::");
  assert.deepEqual(messages({ ocsp_signer: "hsm" }), ['ocsp_signer: must be "ca" or "delegated"']);
  const dir = await tempDir({ prefix: "est-config-" });
  await Deno.writeTextFile(join(dir, "server.toml"), "[publish]\npoll_interval = 0\n");
  assert.throws(() => loadConfig(dir), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /server\.toml:2: publish\.poll_interval: must be at least 1/);
    return true;
  });
});
