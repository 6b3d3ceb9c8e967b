import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import { CrlBuilder } from "../../src/backend/local_ca/crl_builder.ts";
import { CrlPublisher } from "../../src/backend/local_ca/crl_publisher.ts";
import { LocalCaBackend } from "../../src/backend/local_ca/local_ca_backend.ts";
import type { LocalCaConfig } from "../../src/config/components.ts";
import { loadConfig } from "../../src/config/load.ts";
import { tempDir } from "../support/temp.ts";

async function backend(): Promise<LocalCaBackend> {
  const config = loadConfig(await tempDir({ prefix: "est-crl-" }));
  return await LocalCaBackend.open(config.backend as LocalCaConfig, config.server.state_dir);
}

Deno.test("CRL publisher: remade when half spent and when revocations change; listeners told", async () => {
  const ca = await backend();
  const publisher = new CrlPublisher(ca.store, await CrlBuilder.create(ca.ca), {
    validityMs: 2000,
    pollMs: 60_000,
  });
  assert.throws(() => publisher.current(), /has not started/);
  await publisher.start();
  const first = publisher.current();
  assert.equal(first.nextUpdate.getTime() - first.thisUpdate.getTime(), 2000);
  await publisher.refresh();
  assert.equal(publisher.current(), first, "nothing changed, nothing remade");
  await new Promise((r) => setTimeout(r, 1100));
  await publisher.refresh();
  const second = publisher.current();
  assert.ok(second.number > first.number, "remade at half of its validity");
  let told = 0;
  publisher.onRevocationsChanged(() => told++);
  await ca.store.record({
    serial: "4c0ffee0",
    subject: "CN=x",
    sans: [],
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 86_400_000),
    requester: "t",
    operation: "simpleenroll",
    issuedAt: new Date(),
    der: new Uint8Array(1),
  });
  await ca.store.revoke("4c0ffee0", "unspecified");
  await publisher.refresh();
  assert.equal(told, 1);
  const crl = new x509.X509Crl(publisher.current().der);
  assert.equal(crl.entries.length, 1);
  assert.equal(crl.entries[0].serialNumber.toLowerCase(), "4c0ffee0");
  assert.equal(crl.entries[0].reason, undefined, "no reason code for unspecified");
  assert.ok(await crl.verify({ publicKey: ca.ca.cert }));
  publisher.stop();
  await ca.close();
});

Deno.test("CRL publisher: the last CRL stays in service when the store cannot be read", async () => {
  const ca = await backend();
  const publisher = new CrlPublisher(ca.store, await CrlBuilder.create(ca.ca), {
    validityMs: 60_000,
    pollMs: 60_000,
  });
  await publisher.start();
  const served = publisher.current();
  await ca.close();
  await publisher.refresh();
  assert.equal(publisher.current(), served);
  publisher.stop();
  const unopened = new CrlPublisher(ca.store, await CrlBuilder.create(ca.ca), {
    validityMs: 60_000,
    pollMs: 60_000,
  });
  await assert.rejects(unopened.start());
});
