import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { concatChunks } from "../../src/encoding/bytes.ts";
import { IssuedStore } from "../../src/backend/local_ca/issued_store.ts";
import { constructed, SEQUENCE } from "../../src/der/elements.ts";
import { EstFetch } from "../support/est_fetch.ts";
import {
  ava,
  craftedCsr,
  dnsNames,
  nameDer,
  nestedSequences,
  otherName,
  sanExtension,
  simpleName,
  stringDer,
} from "../support/crafted_csr.ts";
import { generateNames, Random, sanText } from "../support/name_fuzz.ts";
import { ALICE, startTestServer, type TestServer } from "../support/server.ts";
import { rsaCsr } from "../support/pki.ts";
import { tempDir } from "../support/temp.ts";

/**
 * Names a password user must not obtain, and encodings the CA must not sign,
 * sent over real TLS: each gets its status and reason, nothing is issued, and
 * an honest request still succeeds afterwards.
 */

const opts = { sanitizeOps: false, sanitizeResources: false };
const tmp = await tempDir({ prefix: "est-names-" });
const CN = "2.5.4.3", UID = "0.9.2342.19200300.100.1.1", O = "2.5.4.10";
const UPN = "1.3.6.1.4.1.311.20.2.3";

/** Certificates issued to clients (the store also holds the server's own TLS certificate). */
const issued = async (srv: TestServer) => (await srv.issuedCount()) - 1;

Deno.test(
  "hostile names: every name is bound to the user; bad encodings are refused; nothing is issued",
  opts,
  async () => {
    const srv = await startTestServer();
    const client = await EstFetch.open(srv);
    try {
      const alice = simpleName([[CN, "alice"]]);
      const cases: { name: string; csr: Uint8Array<ArrayBuffer>; status: number; message: RegExp }[] = [
        {
          name: "CN of a victim host beside the user's UID",
          csr: await craftedCsr(simpleName([[CN, "victim.example.com"], [UID, "alice"]])),
          status: 403,
          message:
            /^CSR subject does not match user identity\. subject 'alice' from dn 'UID=alice,CN=victim\.example\.com'$/,
        },
        {
          name: "a second CN",
          csr: await craftedCsr(simpleName([[CN, "victim.example.com"], [CN, "alice"]])),
          status: 403,
          message: /more than one CN/,
        },
        {
          name: "O impersonating the CA",
          csr: await craftedCsr(simpleName([[O, "EST Local CA"], [CN, "alice"]])),
          status: 403,
          message: /the attribute O=EST Local CA is not allowed/,
        },
        {
          name: "a multi-valued RDN",
          csr: await craftedCsr(
            nameDer([[ava(CN, stringDer(12, "alice")), ava(UID, stringDer(12, "victim"))]]),
          ),
          status: 403,
          message: /multi-valued RDN/,
        },
        {
          name: "an otherName UPN",
          csr: await craftedCsr(alice, [
            sanExtension(constructed(SEQUENCE, [otherName(UPN, stringDer(12, "admin@corp"))])),
          ]),
          status: 403,
          message: /names of type otherName:1\.3\.6\.1\.4\.1\.311\.20\.2\.3 are not allowed/,
        },
        {
          name: "a DNS name of a victim host",
          csr: await craftedCsr(alice, [sanExtension(dnsNames("victim.example.com"))]),
          status: 403,
          message: /^CSR SubjectAlternativeName extension does not match user\.$/,
        },
        {
          name: "a SAN with trailing bytes hiding a second DNS name",
          csr: await craftedCsr(alice, [
            sanExtension(concatChunks([dnsNames("alice"), dnsNames("victim.example.com")])),
          ]),
          status: 400,
          message: /^Failed to decode SAN extension in CSR\. Reason: the names are not one DER element/,
        },
        {
          name: "12,000 nested SEQUENCEs as a subject value",
          csr: await craftedCsr(nameDer([[ava(CN, nestedSequences(12_000))]])),
          status: 400,
          message: /not a DER-encoded Name/,
        },
        {
          name: "an RDN out of DER SET order",
          // Sorted by encoding, the shorter AVA (O=x) comes first.
          csr: await craftedCsr(nameDer([[ava(CN, stringDer(12, "alice")), ava(O, stringDer(12, "x"))]])),
          status: 400,
          message: /not a DER-encoded Name/,
        },
        {
          name: "NUL in the CN",
          csr: await craftedCsr(simpleName([[CN, "alice\u0000.victim.example.com"]])),
          status: 400,
          message: /control character/,
        },
        {
          name: "CR/LF in the CN",
          csr: await craftedCsr(simpleName([[CN, "alice\r\nCN=victim"]])),
          status: 400,
          message: /control character/,
        },
        {
          name: "RSA exponent 3",
          csr: await rsaCsr(tmp, 2048, 3),
          status: 400,
          message: /^Invalid CSR: RSA public exponent 3 is below the minimum of 65537$/,
        },
        {
          name: "RSA 2047-bit modulus",
          csr: await rsaCsr(tmp, 2047, 65537),
          status: 400,
          message: /^Invalid CSR: RSA key of 2047 bits is below the minimum of 2048$/,
        },
      ];
      for (const c of cases) {
        const res = await client.enroll(c.csr, ALICE.user);
        assert.equal(res.status, c.status, `${c.name}: ${res.text}`);
        assert.match(res.text.trimEnd(), c.message, c.name);
      }
      assert.equal(await issued(srv), 0, "nothing was issued");
      const honest = await client.enroll(
        await craftedCsr(alice, [sanExtension(dnsNames("alice"))]),
        ALICE.user,
      );
      assert.equal(honest.status, 200, "an honest request still succeeds");
      assert.equal(await issued(srv), 1);
    } finally {
      client.close();
      await srv.close();
    }
  },
);

Deno.test(
  "hostile names: configured otherNames are issued and recorded whole in the store and audit log",
  opts,
  async () => {
    const srv = await startTestServer({
      auth: { allowed_subject_alt_names: [`otherName:${UPN}={identity}`, "dns={identity}"] },
    });
    const client = await EstFetch.open(srv);
    try {
      const names = constructed(SEQUENCE, [
        otherName(UPN, stringDer(12, "ALICE")),
        dnsNames("alice").subarray(2),
      ]);
      const res = await client.enroll(
        await craftedCsr(simpleName([[CN, "alice"]]), [sanExtension(names)]),
        ALICE.user,
      );
      assert.equal(res.status, 200, res.text);
      const audit = (await Deno.readTextFile(join(srv.dir, "state", "audit.jsonl"))).trimEnd().split("\n")
        .map((l) => JSON.parse(l));
      assert.deepEqual(audit.at(-1).sans, [`otherName:${UPN}=ALICE`, "dns:alice"]);
      const store = new IssuedStore(join(srv.dir, "state", "local-ca", "issued.sqlite"));
      try {
        assert.deepEqual(store.get(audit.at(-1).serial)?.sans, [`otherName:${UPN}=ALICE`, "dns:alice"]);
      } finally {
        store.close();
      }
    } finally {
      client.close();
      await srv.close();
    }
  },
);

Deno.test(
  "hostile names: generated CSRs end to end, issued exactly when every name is the user's",
  opts,
  async () => {
    const srv = await startTestServer({
      realm: { class: "in-memory", username: "alice", password: ALICE.password, fullName: "Alice Example" },
      limits: { principal_burst: 1000 },
    });
    const client = await EstFetch.open(srv);
    try {
      const random = new Random(7_2026);
      let ok = 0;
      const seen = new Set<number>();
      for (let i = 0; i < 60; i++) {
        const names = generateNames(random);
        const res = await client.enroll(await craftedCsr(names.subject, names.extensions), ALICE.user);
        seen.add(res.status);
        const context = `case ${i}: ${
          JSON.stringify({ rdns: names.rdns, sans: names.sans.map(sanText) })
        } -> ${res.text}`;
        if (!names.wellFormed) {
          assert.equal(res.status, 400, context);
          continue;
        }
        const attributes = names.rdns.flat();
        const mine = names.rdns.every((rdn) => rdn.length === 1) && attributes.length === 1 &&
          attributes[0].oid === CN &&
          ["alice", "alice example"].includes(attributes[0].value.toLowerCase()) &&
          names.sans.every((s) =>
            ["dns", "email", "url", "ip"].includes(s.kind) &&
            ["alice", "alice example"].includes(s.value.toLowerCase())
          );
        assert.equal(res.status, mine ? 200 : 403, context);
        if (mine) ok++;
      }
      assert.deepEqual([...seen].sort(), [200, 400, 403]);
      assert.equal(await issued(srv), ok);
    } finally {
      client.close();
      await srv.close();
    }
  },
);
