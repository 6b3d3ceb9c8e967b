import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { type ClientRun, runClientCaptured } from "./client_io.ts";
import { ALICE, type TestServer } from "./server.ts";
import { runOk } from "./tools.ts";
import { tempDir } from "./temp.ts";

/** Shorthands for tests that drive the built-in client against a test server. */

const tmp = await tempDir({ prefix: "est-client-" });

/** A fresh path in the client tests' temporary directory. */
export function fileIn(name: string): string {
  return join(tmp, `${crypto.randomUUID()}-${name}`);
}

/** The temporary directory itself. */
export const clientTmp: string = tmp;

/** --server for the test server. */
export function server(srv: TestServer): string[] {
  return ["--server", `https://127.0.0.1:${srv.port}`];
}

/** --server and --cacert for the test server. */
export function trusted(srv: TestServer): string[] {
  return [...server(srv), "--cacert", srv.caPath];
}

/** Basic credentials of the test realm's user. */
export const BASIC: readonly string[] = ["--user", ALICE.username, "--password", ALICE.password];

/** The SHA-256 fingerprint of the test server's CA, as openssl prints it. */
export async function caFingerprint(srv: TestServer): Promise<string> {
  const out = await runOk("openssl", ["x509", "-in", srv.caPath, "-noout", "-fingerprint", "-sha256"]);
  return out.text.trim().split("=")[1];
}

/** Fails with the client's stderr unless it exited 0. */
export function assertOk(run: ClientRun): void {
  assert.equal(run.code, 0, `client failed: ${run.stderr}`);
}

/** The public key (PEM) of a certificate or private key file, through openssl. */
export async function publicKeyOf(kind: "x509" | "pkey", path: string, inform = "PEM"): Promise<string> {
  const args = kind === "x509"
    ? ["x509", "-inform", inform, "-in", path, "-noout", "-pubkey"]
    : ["pkey", "-inform", inform, "-in", path, "-pubout"];
  return (await runOk("openssl", args)).text;
}

/** Enrolls alice by Basic and returns the certificate and key paths. */
export async function enrollAlice(
  srv: TestServer,
  more: string[] = [],
): Promise<{ cert: string; key: string }> {
  const cert = fileIn("cert.pem");
  const key = fileIn("key.pem");
  const result = await runClientCaptured([
    "enroll",
    ...trusted(srv),
    ...BASIC,
    "--cn",
    "alice",
    "--key-out",
    key,
    "--out",
    cert,
    ...more,
  ]);
  assertOk(result);
  return { cert, key };
}
