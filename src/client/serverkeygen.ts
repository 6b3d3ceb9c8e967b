/**
 * `client serverkeygen` (RFC 7030 §4.4): the server makes the key pair. The
 * client sends a CSR (signed with a throwaway key of the wanted type), reads
 * the multipart/mixed answer (an application/pkcs8 part and a certs-only
 * part), checks the certificate matches the key, and writes the key 0600.
 *
 * @module
 */
import * as x509 from "../pki/x509.ts";
import { essence, mediaTypeParameter } from "../encoding/media_type.ts";
import { pemBlocks } from "../encoding/pem.ts";
import { csrForSubject } from "./csr.ts";
import { describeIssued } from "./enroll.ts";
import { ClientFailure, UsageError } from "./errors.ts";
import type { ClientIo } from "./io.ts";
import { generateClientKey, requireKeyMatch, spkiOfPkcs8 } from "./keys.ts";
import { type MultipartPart, parseMultipartMixed } from "./multipart.ts";
import type { ClientOptions } from "./options.ts";
import { writeCertificates, writePrivateKey } from "./output.ts";
import { base64Der } from "./response_body.ts";
import { sendWithRetry } from "./retry.ts";
import { describeRefusal } from "./server_message.ts";
import type { Session } from "./session.ts";
import { certsOnly } from "./trust.ts";

/** The key and certificates a /serverkeygen answer carries. */
export interface ServerGeneratedKey {
  pkcs8: Uint8Array<ArrayBuffer>;
  certs: Uint8Array<ArrayBuffer>[];
}

/** Asks the server for a key pair and certificate, and writes both. */
export async function runServerKeyGen(options: ClientOptions, session: Session, io: ClientIo): Promise<void> {
  if (options.out === undefined || options.keyOut === undefined) {
    throw new UsageError("serverkeygen needs --out FILE for the certificate and --key-out FILE for the key");
  }
  const csr = await csrForSubject(options.names, await generateClientKey(options.keyType));
  const res = await sendWithRetry(
    session.conn,
    {
      method: "POST",
      path: session.pathOf("serverkeygen"),
      body: `${csr.toBase64()}\n`,
      contentType: "application/pkcs10",
    },
    options.maxWaitSeconds,
    io,
  );
  if (res.status !== 200) throw new ClientFailure(describeRefusal(res, "serverkeygen"));
  const { pkcs8, certs } = readServerKeyGenAnswer(res.headers["content-type"], res.body);
  requireKeyMatch(new x509.X509Certificate(certs[0]).publicKey.rawData, spkiOfPkcs8(pkcs8));
  writePrivateKey(pkcs8, options.keyOut, options.format);
  writeCertificates(certs, options.out, options.format, io.stdout);
  io.stderr.write(
    `${describeIssued(certs[0])}\nwrote the certificate to ${options.out} and the ` +
      `server-generated key to ${options.keyOut}\n`,
  );
}

/** Reads the multipart/mixed answer of RFC 7030 §4.4.2 (unencrypted key). */
export function readServerKeyGenAnswer(
  contentType: string | undefined,
  body: Uint8Array,
): ServerGeneratedKey {
  const parts = parseMultipartMixed(contentType, body);
  const keyPart = parts.find((p) => essence(p.headers["content-type"]) === "application/pkcs8");
  const certPart = parts.find((p) => smimeType(p) === "certs-only");
  if (keyPart === undefined) {
    if (parts.some((p) => smimeType(p) === "server-generated-key")) {
      throw new ClientFailure(
        "the server sent the key encrypted (CMS EnvelopedData), which this client cannot open",
      );
    }
    throw new ClientFailure("the serverkeygen answer has no application/pkcs8 part");
  }
  if (certPart === undefined) {
    throw new ClientFailure(
      "the serverkeygen answer has no application/pkcs7-mime; smime-type=certs-only part",
    );
  }
  return {
    pkcs8: base64Der(unarmoured(keyPart.body), "private key part"),
    certs: certsOnly(base64Der(unarmoured(certPart.body), "certificate part"), "certificate part"),
  };
}

function smimeType(part: MultipartPart): string | undefined {
  const type = part.headers["content-type"];
  if (type === undefined || essence(type) !== "application/pkcs7-mime") return undefined;
  return mediaTypeParameter(type, "smime-type")?.toLowerCase();
}

/** The base64 inside PEM armour, when a server armours a part. */
function unarmoured(text: string): string {
  return pemBlocks(text)[0]?.base64 ?? text;
}
