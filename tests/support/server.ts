import "reflect-metadata";
import { join } from "node:path";
import { stringify } from "smol-toml";
import type { LocalCaBackend } from "../../src/backend/local_ca/local_ca_backend.ts";
import { loadSettings } from "../../src/config/boundary.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { runOk } from "./tools.ts";
import { tempDir } from "./temp.ts";

/** Sections of server.toml; each replaces the harness default for that section when given. */
export interface TestConfig {
  server?: Record<string, unknown>;
  est?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  publish?: Record<string, unknown>;
  audit?: Record<string, unknown>;
  crypto?: Record<string, unknown>;
  auth?: Record<string, unknown>;
  limits?: Record<string, unknown>;
  labels?: Record<string, Record<string, unknown>>;
  backend?: Record<string, unknown>;
  realm?: Record<string, unknown> | null;
  authorizer?: Record<string, unknown> | null;
  /** Extra files written into the config dir (e.g. backend.conf). */
  files?: Record<string, string>;
}

/** A real server on a loopback port, its config dir, and the CA chain it serves. */
export interface TestServer {
  server: RunningServer;
  dir: string;
  port: number;
  /** https://127.0.0.1:PORT/.well-known/est */
  base: string;
  /** PEM file of the chain /cacerts returns, for --cacert. */
  caPath: string;
  /** Certificates the local CA recorded so far. */
  issuedCount(): Promise<number>;
  close(): Promise<void>;
}

/** The in-memory user of the Dogtag CI basic test. */
export const ALICE = { username: "alice", password: "4me2Test", user: "alice:4me2Test" };

/** Writes a config dir (defaults: local CA, alice, identity rules on) and starts the server on port 0. */
export async function startTestServer(config: TestConfig = {}): Promise<TestServer> {
  const dir = await tempDir({ prefix: "est-server-" });
  const doc: Record<string, unknown> = {
    server: { bind: "127.0.0.1:0", state_dir: "state", shutdown_grace: 1, workers: 1, ...config.server },
    metrics: { bind: "127.0.0.1:0", ...config.metrics },
    publish: { bind: "127.0.0.1:0", ...config.publish },
    est: config.est ?? {},
    crypto: config.crypto ?? {},
    auth: config.auth ?? {},
    limits: config.limits ?? {},
    audit: config.audit ?? {},
    labels: config.labels ?? {},
    backend: config.backend ?? { class: "local-ca" },
  };
  if (config.realm !== null) {
    doc.realm = config.realm ??
      { class: "in-memory", username: ALICE.username, password: ALICE.password, roles: "estclient" };
  }
  if (config.authorizer !== null) doc.authorizer = config.authorizer ?? { enrollMatchTLSSubjSAN: true };
  for (const [name, content] of Object.entries(config.files ?? {})) {
    await Deno.writeTextFile(join(dir, name), content);
    const role = name.replace(/\.conf$/, "");
    delete doc[role];
  }
  await Deno.writeTextFile(join(dir, "server.toml"), stringify(doc));
  const server = await startServer(await loadSettings(dir));
  const caPath = join(dir, "cacerts.pem");
  const chain = await server.backend.caCerts(undefined);
  await Deno.writeTextFile(
    caPath,
    chain.map((der) => `-----BEGIN CERTIFICATE-----\n${der.toBase64()}\n-----END CERTIFICATE-----\n`).join(
      "",
    ),
  );
  const base = `https://127.0.0.1:${server.port}/.well-known/est`;
  return {
    server,
    dir,
    port: server.port,
    base,
    caPath,
    issuedCount: () => (server.backend as LocalCaBackend).issuedCount(),
    async close() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Decodes an EST base64 PKCS#7 body and lists its certificates as PEM, through openssl. */
export async function certsFromPkcs7Base64(body: string): Promise<string> {
  const der = Uint8Array.fromBase64(body.replace(/\s+/g, ""));
  return (await runOk("openssl", ["pkcs7", "-inform", "DER", "-print_certs"], der)).text;
}
