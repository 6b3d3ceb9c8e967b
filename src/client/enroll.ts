/**
 * `client enroll` and `client reenroll`: make (or reuse) a key, build the CSR
 * (reenroll repeats the current certificate's subject and SAN exactly), post
 * it (retrying on 202), check the certificate matches the key, and write the
 * key (0600) and the certificate.
 *
 * @module
 */
import * as x509 from "../pki/x509.ts";
import { csrForSubject, csrRepeating } from "./csr.ts";
import { ClientFailure, UsageError } from "./errors.ts";
import type { ClientIo } from "./io.ts";
import {
  type ClientKey,
  generateClientKey,
  loadClientKey,
  pkcs8Of,
  requireKeyMatch,
  spkiOfPkcs8,
} from "./keys.ts";
import type { ClientOptions } from "./options.ts";
import { writeBytes, writeCertificates, writePrivateKey } from "./output.ts";
import { responseDer } from "./response_body.ts";
import { sendWithRetry, StillPending } from "./retry.ts";
import { describeRefusal } from "./server_message.ts";
import { readPem, type Session } from "./session.ts";
import { certsOnly } from "./trust.ts";

/** Enrolls (or, with the current certificate, re-enrolls) and writes the results. */
export async function runEnroll(options: ClientOptions, session: Session, io: ClientIo): Promise<void> {
  const renewing = options.command === "reenroll";
  if (!options.reuseKey && options.keyOut === undefined) {
    throw new UsageError(`${options.command} makes a new key: name its file with --key-out FILE`);
  }
  if (options.out === undefined) {
    throw new UsageError(`${options.command} needs --out FILE for the certificate`);
  }
  const key = await enrollmentKey(options, io);
  const csr = renewing
    ? await csrRepeating(currentCertificate(options, io), key)
    : await csrForSubject(options.names, key);
  if (options.csrOut !== undefined) writeBytes(options.csrOut, csr);
  const operation = renewing ? "simplereenroll" : "simpleenroll";
  const pkcs8 = await pkcs8Of(key.keys.privateKey);
  let res;
  try {
    res = await sendWithRetry(
      session.conn,
      {
        method: "POST",
        path: session.pathOf(operation),
        body: `${csr.toBase64()}\n`,
        contentType: "application/pkcs10",
      },
      options.maxWaitSeconds,
      io,
    );
  } catch (err) {
    if (err instanceof StillPending) keepPendingKey(options, pkcs8, io);
    throw err;
  }
  if (res.status !== 200) throw new ClientFailure(describeRefusal(res, operation));
  const certs = certsOnly(responseDer(res.body, "enrollment answer"), `/${operation} answer`);
  requireKeyMatch(new x509.X509Certificate(certs[0]).publicKey.rawData, spkiOfPkcs8(pkcs8));
  if (options.keyOut !== undefined) writePrivateKey(pkcs8, options.keyOut, options.format);
  writeCertificates(certs, options.out, options.format, io.stdout);
  io.stderr.write(
    `${describeIssued(certs[0])}\nwrote the certificate to ${options.out}` +
      `${options.keyOut === undefined ? "" : ` and its key to ${options.keyOut}`}\n`,
  );
}

/** "issued: CN=..., serial ..., valid until ...". */
export function describeIssued(der: Uint8Array<ArrayBuffer>): string {
  const cert = new x509.X509Certificate(der);
  return `issued: ${cert.subject}, serial ${cert.serialNumber}, valid until ${cert.notAfter.toISOString()}`;
}

async function enrollmentKey(options: ClientOptions, io: ClientIo): Promise<ClientKey> {
  if (options.reuseKey !== undefined) {
    return await loadClientKey(readPem(options.reuseKey, "--reuse-key", io), options.reuseKey);
  }
  return await generateClientKey(options.keyType);
}

function currentCertificate(options: ClientOptions, io: ClientIo): x509.X509Certificate {
  const path = options.clientCert!.certPath;
  try {
    return new x509.X509Certificate(readPem(path, "--cert", io));
  } catch (err) {
    if (err instanceof ClientFailure) throw err;
    throw new ClientFailure(`--cert ${path} holds no readable certificate`);
  }
}

/** A request left pending keeps its key, so that a later run can repeat it with --reuse-key. */
function keepPendingKey(options: ClientOptions, pkcs8: Uint8Array<ArrayBuffer>, io: ClientIo): void {
  if (options.reuseKey !== undefined || options.keyOut === undefined) return;
  writePrivateKey(pkcs8, options.keyOut, "pem");
  io.stderr.write(`kept the new key in ${options.keyOut}: run again with --reuse-key ${options.keyOut}\n`);
}
