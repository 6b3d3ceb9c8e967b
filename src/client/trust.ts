/**
 * Trusting the server: explicit anchors from --cacert, the runtime's store,
 * or bootstrap (RFC 7030 §4.1.1): fetch /cacerts without verification, show
 * the CA's SHA-256 fingerprint, and go on only when the operator confirms it
 * (or it equals --fingerprint); the confirmed chain then anchors every call.
 *
 * @module
 */
import * as x509 from "../pki/x509.ts";
import { toPem } from "../encoding/pem.ts";
import { decodeCertsOnly } from "../pki/pkcs7_decode.ts";
import { ClientFailure } from "./errors.ts";
import type { ClientIo } from "./io.ts";
import type { TrustMode } from "./options.ts";
import { responseDer } from "./response_body.ts";
import { describeRefusal } from "./server_message.ts";
import { type Connection, send } from "./transport.ts";

/** The anchors to verify the server with, and the chain a bootstrap confirmed. */
export interface Trust {
  ca?: string;
  bootstrapChain?: Uint8Array<ArrayBuffer>[];
}

/** Establishes trust as `mode` says; `cacertsPath` is the /cacerts path for a bootstrap. */
export async function establishTrust(
  mode: TrustMode,
  conn: Omit<Connection, "ca">,
  cacertsPath: string,
  io: ClientIo,
): Promise<Trust> {
  if (mode.kind === "system") return {};
  if (mode.kind === "cacert") return { ca: readAnchors(mode.path, io) };
  const res = await send({ ...conn, insecure: true, basic: undefined }, { method: "GET", path: cacertsPath });
  if (res.status !== 200) throw new ClientFailure(describeRefusal(res, "cacerts"));
  const chain = certsOnly(responseDer(res.body, "CA certificates"), "/cacerts answer");
  const root = rootOf(chain);
  const fingerprint = await sha256Fingerprint(root);
  io.stderr.write(
    `The server presents this CA (not yet verified):\n  subject: ${root.subject}\n` +
      `  SHA-256 fingerprint: ${formatFingerprint(fingerprint)}\n`,
  );
  if (mode.fingerprint !== undefined) {
    if (mode.fingerprint !== fingerprint) {
      throw new ClientFailure(
        `refusing the server's CA: its SHA-256 fingerprint ${
          formatFingerprint(fingerprint)
        } is not the one given`,
      );
    }
  } else {
    const answer = await io.readLine("Trust this CA? Compare the fingerprint out of band. [y/N] ");
    if (answer === null || !/^\s*y(es)?\s*$/i.test(answer)) {
      throw new ClientFailure("the CA was not confirmed");
    }
  }
  const trusted = await chainedTo(root, chain);
  return {
    ca: trusted.map((c) => toPem(new Uint8Array(c.rawData), "CERTIFICATE")).join(""),
    bootstrapChain: chain,
  };
}

/** The certificates of a certs-only PKCS#7. */
export function certsOnly(der: Uint8Array<ArrayBuffer>, what: string): Uint8Array<ArrayBuffer>[] {
  let certs: Uint8Array<ArrayBuffer>[];
  try {
    certs = decodeCertsOnly(der);
  } catch (err) {
    throw new ClientFailure(`the ${what} is not a certs-only PKCS#7: ${(err as Error).message}`);
  }
  if (certs.length === 0) throw new ClientFailure(`the ${what} holds no certificate`);
  return certs;
}

/** SHA-256 over a certificate's DER, lower-case hex. */
export async function sha256Fingerprint(cert: x509.X509Certificate): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", cert.rawData)).toHex();
}

/** "AB:CD:..." as openssl x509 -fingerprint prints it. */
export function formatFingerprint(hex: string): string {
  return hex.toUpperCase().replace(/(..)(?!$)/g, "$1:");
}

function readAnchors(path: string, io: ClientIo): string {
  let text: string;
  try {
    text = io.readTextFile(path);
  } catch (err) {
    throw new ClientFailure(`cannot read --cacert ${path}: ${(err as Error).message}`);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ClientFailure(`--cacert ${path} holds no PEM certificate`);
  }
  return text;
}

/** The self-issued certificate of the chain (the last one when none is). */
function rootOf(chain: Uint8Array<ArrayBuffer>[]): x509.X509Certificate {
  const certs = chain.map((der) => new x509.X509Certificate(der));
  return certs.find((c) => c.subject === c.issuer) ?? certs[certs.length - 1];
}

/** The chain's certificates that verify up to `root`; refuses a chain that carries any other. */
async function chainedTo(
  root: x509.X509Certificate,
  chain: Uint8Array<ArrayBuffer>[],
): Promise<x509.X509Certificate[]> {
  const trusted = [root];
  let pending = chain.map((der) => new x509.X509Certificate(der)).filter((c) => !c.equal(root));
  for (let progress = true; progress && pending.length > 0;) {
    progress = false;
    for (const cert of [...pending]) {
      for (const issuer of trusted) {
        if (cert.issuer !== issuer.subject) continue;
        if (!await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }).catch(() => false)) {
          continue;
        }
        trusted.push(cert);
        pending = pending.filter((c) => c !== cert);
        progress = true;
        break;
      }
    }
  }
  if (pending.length > 0) {
    throw new ClientFailure(
      `the /cacerts answer carries a certificate not issued under the confirmed CA: ${pending[0].subject}`,
    );
  }
  return trusted;
}
