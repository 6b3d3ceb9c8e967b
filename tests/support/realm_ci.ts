import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { certificateIdentity } from "../../src/realm/certificate_identity.ts";
import { curl, type CurlOptions } from "./curl.ts";
import { propertiesText, startDogtagEst } from "./dogtag.ts";
import { FakeDogtagCa } from "./fake_dogtag_ca.ts";
import { makeCsr, renewalCsr, writeTemp } from "./pki.ts";
import { certsFromPkcs7Base64, startTestServer, type TestConfig, type TestServer } from "./server.ts";
import { runOk } from "./tools.ts";

/**
 * Dogtag's DS-realm / PostgreSQL-realm CI table (steps b to k) run against
 * this server with a directory-backed realm, over real TLS with curl and
 * openssl, once with the local CA and once with the DogtagRABackend in front
 * of the fake Dogtag CA. The directory or database is given as a fixture.
 */

/** A user store the realm reads, as the tests drive it. */
export interface UserStoreFixture {
  /** realm.conf keys pointing at the store. */
  realmConf(): Record<string, string>;
  addUser(id: string, fullName: string, password: string, groups: string[]): Promise<void>;
  /** Gives a user a certificate: Dogtag's certID and the DER. */
  addCertificate(id: string, certId: string, der: Uint8Array<ArrayBuffer>): Promise<void>;
  /** Takes the store down, and back. */
  stop(): Promise<void>;
  resume(): Promise<void>;
}

const PKCS10 = { "Content-Type": "application/pkcs10" };

/** The exact body of Dogtag's 403 for a renewal CSR with another subject (CI steps g and n). */
export const RENEWAL_SUBJECT_403 = `{
  "Attributes" : {
    "Attribute" : [ ]
  },
  "ClassName" : "com.netscape.certsrv.base.ForbiddenException",
  "Code" : 403,
  "Message" : "CSR subject does not match user certificate."
}`;

type Backend = "local-ca" | "dogtag";

interface Started {
  srv: TestServer;
  ca?: FakeDogtagCa;
  /** Another server on the same CA and store with `enrollMatchTLSSubjSAN=false` (CI step i). */
  relaxed(): Promise<TestServer>;
  close(): Promise<void>;
}

async function startWith(backend: Backend, store: UserStoreFixture): Promise<Started> {
  const files = { "realm.conf": propertiesText(store.realmConf()) };
  const config = (relaxed: boolean): TestConfig => ({
    est: { compat: "dogtag" },
    files,
    authorizer: relaxed ? { enrollMatchTLSSubjSAN: false } : undefined,
  });
  const extra: TestServer[] = [];
  if (backend === "local-ca") {
    const srv = await startTestServer(config(false));
    return {
      srv,
      async relaxed() {
        // The relaxed server must trust certificates of the first one's CA: same state directory.
        const other = await startTestServer({
          ...config(true),
          backend: {
            class: "local-ca",
            caCertFile: join(srv.dir, "state/local-ca/ca.cert.pem"),
            caKeyFile: join(srv.dir, "state/local-ca/ca.key.pem"),
          },
        });
        extra.push(other);
        return other;
      },
      async close() {
        for (const s of extra) await s.close();
        await srv.close();
      },
    };
  }
  const ca = await FakeDogtagCa.start();
  const srv = await startDogtagEst(ca, {}, config(false));
  return {
    srv,
    ca,
    async relaxed() {
      const other = await startDogtagEst(ca, {}, config(true));
      extra.push(other);
      return other;
    },
    async close() {
      for (const s of extra) await s.close();
      await srv.close();
      await ca.close();
    },
  };
}

/** The subject line `openssl x509 -subject` prints for the one certificate of an enroll response, after verifying it. */
async function issuedSubject(
  srv: TestServer,
  dir: string,
  body: string,
): Promise<{ subject: string; path: string }> {
  const path = await writeTemp(dir, `${crypto.randomUUID()}.pem`, await certsFromPkcs7Base64(body));
  assert.match((await runOk("openssl", ["verify", "-CAfile", srv.caPath, path])).text, /: OK/);
  return { subject: (await runOk("openssl", ["x509", "-in", path, "-noout", "-subject"])).text.trim(), path };
}

async function enroll(srv: TestServer, dir: string, subject: string, auth: CurlOptions) {
  const { csrDer, keyPath } = await makeCsr(dir, subject);
  const res = await curl(`${srv.base}/simpleenroll`, {
    cacert: srv.caPath,
    headers: PKCS10,
    body: csrDer.toBase64(),
    ...auth,
  });
  return { res, keyPath };
}

/** One run of the table: the user, the server and (with the Dogtag backend) the fake CA. */
interface CiRun {
  store: UserStoreFixture;
  srv: TestServer;
  ca?: FakeDogtagCa;
  dir: string;
  uid: string;
  cn: string;
}

/**
 * Runs CI steps b-k for `backend` with a fresh user `est-test-user<suffix>`
 * whose full name is `test<suffix>.example.com`.
 */
export async function dogtagRealmCi(
  store: UserStoreFixture,
  backend: Backend,
  dir: string,
  suffix: string,
): Promise<void> {
  const uid = `est-test-user${suffix}`;
  const cn = `test${suffix}.example.com`;
  await store.addUser(uid, cn, "Secret.123", ["EST Users"]);
  const started = await startWith(backend, store);
  const run: CiRun = { store, srv: started.srv, ca: started.ca, dir, uid, cn };
  try {
    const holder = await passwordSteps(run);
    await certificateSteps(run, holder);
    // i-k: enrollMatchTLSSubjSAN=false; this server no longer checks. The fake CA's policy 20 refuses (400),
    // the local CA issues.
    const relaxed = await started.relaxed();
    const expected = run.ca ? 400 : 200;
    const j = await enroll(relaxed, dir, "/CN=test-new.example.com", { user: `${uid}:Secret.123` });
    assert.equal(j.res.status, expected, j.res.text);
    const k = await enroll(relaxed, dir, "/CN=test-new.example.com", holder);
    assert.equal(k.res.status, expected, k.res.text);
  } finally {
    await started.close();
  }
}

/** Steps b and c (Basic); returns the certificate issued in b and its key. */
async function passwordSteps({ srv, ca, dir, uid, cn }: CiRun): Promise<{ cert: string; key: string }> {
  const basic = { user: `${uid}:Secret.123` };
  // b: the user's own name (the store's full name) is issued.
  const b = await enroll(srv, dir, `/CN=${cn}`, basic);
  assert.equal(b.res.status, 200, b.res.text);
  const issued = await issuedSubject(srv, dir, b.res.text);
  assert.equal(issued.subject, `subject=CN = ${cn}`);
  if (ca) {
    assert.equal(ca.submissions.at(-1)!.inputs.ra_client_uid, uid);
    assert.equal(ca.submissions.at(-1)!.inputs.ra_client_name, cn);
  }
  // c: another name is refused by identity.
  const c = await enroll(srv, dir, "/CN=test-new.example.com", basic);
  assert.equal(c.res.status, 403, c.res.text);
  assert.equal(
    JSON.parse(c.res.text).Message,
    `CSR subject does not match user identity. subject 'test-new.example.com' from dn 'CN=test-new.example.com'`,
  );
  return { cert: issued.path, key: b.keyPath };
}

/** Steps d to h: the certificate is added to the user, then enrolls and renews with it. */
async function certificateSteps(run: CiRun, holder: { cert: string; key: string }): Promise<void> {
  const { srv, ca, dir, uid, cn } = run;
  // Before d, the certificate is not known to the realm: a presented certificate is the only credential.
  assert.equal((await enroll(srv, dir, `/CN=${cn}`, holder)).res.status, 401);
  // d: the certID and the certificate are added to the user.
  const der = (await runOk("openssl", ["x509", "-in", holder.cert, "-outform", "DER"])).stdout;
  await run.store.addCertificate(uid, certificateIdentity(der).certId, der);
  // e: certificate enrollment; the principal (and its roles) come from the store.
  const e = await enroll(srv, dir, `/CN=${cn}`, holder);
  assert.equal(e.res.status, 200, e.res.text);
  if (ca) {
    assert.equal(ca.submissions.at(-1)!.inputs.ra_client_uid, uid);
    assert.equal(ca.submissions.at(-1)!.inputs.ra_client_certificate, der.toBase64());
  }
  const reenroll = async (csrDer: Uint8Array<ArrayBuffer>) =>
    await curl(`${srv.base}/simplereenroll`, {
      cacert: srv.caPath,
      ...holder,
      headers: PKCS10,
      body: csrDer.toBase64(),
    });
  // f: re-enrollment with it.
  const f = await reenroll((await renewalCsr(dir, holder.cert)).csrDer);
  assert.equal(f.status, 200, f.text);
  assert.equal((await issuedSubject(srv, dir, f.text)).subject, `subject=CN = ${cn}`);
  // g: a renewal CSR with another subject: Dogtag's exact 403.
  const g = await reenroll((await makeCsr(dir, "/CN=test2.example.com")).csrDer);
  assert.equal(g.status, 403);
  assert.equal(g.text, RENEWAL_SUBJECT_403);
  // h: certificate enrollment of another name.
  assert.equal((await enroll(srv, dir, "/CN=test-new.example.com", holder)).res.status, 403);
}

/** User names built to break out of an LDAP filter or an SQL literal. */
export const HOSTILE_NAMES = [
  "*",
  "est-*",
  "*)(uid=*",
  "est-outage)(|(uid=*",
  "est-outage\\",
  "\\2a",
  "est-outage\u0000",
  "\u0000*",
  "' OR '1'='1",
  "est-outage' --",
  "est-outage'; DROP TABLE users; --",
  '"; DROP TABLE "users"; --',
  "%",
  "est-out%",
];

function basicHeader(user: string, password: string): string {
  return `Basic ${new TextEncoder().encode(`${user}:${password}`).toBase64()}`;
}

/**
 * Through the running server: hostile and wrong credentials are 401 and
 * issue nothing; the store going down mid-run is 503 (and /ready says so)
 * within the realm's timeout, and the server recovers when the store is back.
 * Returns the time the 503 took, in milliseconds.
 */
export async function realmCredentialsAndOutage(store: UserStoreFixture, dir: string): Promise<number> {
  await store.addUser("est-outage", "outage.example.com", "Secret.123", ["EST Users"]);
  const srv = await startTestServer({ files: { "realm.conf": propertiesText(store.realmConf()) } });
  const ready = () => curl(`https://127.0.0.1:${srv.port}/ready`, { cacert: srv.caPath });
  const attempt = async (authorization: string) => {
    const { csrDer } = await makeCsr(dir, "/CN=outage.example.com");
    return await curl(`${srv.base}/simpleenroll`, {
      cacert: srv.caPath,
      headers: { ...PKCS10, Authorization: authorization },
      body: csrDer.toBase64(),
    });
  };
  try {
    const before = await srv.issuedCount();
    const refused: [string, string][] = [
      ...HOSTILE_NAMES.map((name): [string, string] => [name, "Secret.123"]),
      ["est-outage", "wrong"],
      ["est-outage", ""],
      ["est-outage", "Secret.123 "],
      ["EST-OUTAGE-unknown", "Secret.123"],
      ["", ""],
    ];
    for (const [name, password] of refused) {
      const res = await attempt(basicHeader(name, password));
      assert.equal(res.status, 401, `${JSON.stringify(name)}:${JSON.stringify(password)}: ${res.text}`);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm=/);
      assert.doesNotMatch(res.text, /uid=|SELECT|syntax|ldap|postgres/i, "nothing about the store leaks");
    }
    assert.equal(await srv.issuedCount(), before, "nothing issued");
    assert.equal((await attempt(basicHeader("est-outage", "Secret.123"))).status, 200);
    assert.equal((await ready()).status, 200);

    await store.stop();
    const started = performance.now();
    const down = await attempt(basicHeader("est-outage", "Secret.123"));
    const downMs = performance.now() - started;
    assert.equal(down.status, 503, down.text);
    assert.equal(down.headers.get("retry-after"), "30");
    assert.doesNotMatch(down.text, /Secret|ECONNREFUSED|127\.0\.0\.1/);
    const notReady = await ready();
    assert.equal(notReady.status, 503);
    assert.equal(JSON.parse(notReady.text).checks.realm.ok, false);

    await store.resume();
    assert.equal((await attempt(basicHeader("est-outage", "Secret.123"))).status, 200, "recovered");
    assert.equal((await ready()).status, 200);
    return downMs;
  } finally {
    await srv.close();
  }
}
