import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as x509 from "../../pki/x509.ts";
import type { DogtagRaConfig } from "../../config/components.ts";
import { ConfigError } from "../../config/errors.ts";
import { pemDerOf, toPem } from "../../encoding/pem.ts";
import { samePublicKey } from "../local_ca/key_algorithms.ts";
import { readPkcs12 } from "./pkcs12.ts";

/** The TLS client certificate this server shows the CA (Dogtag's NSS `nickname`), PEM. */
export interface ClientIdentity {
  /** The client certificate first, then any CA certificates that came with it. */
  certPem: string;
  /** PKCS#8. */
  keyPem: string;
}

type IdentityFiles = Pick<
  DogtagRaConfig,
  "clientCertFile" | "clientKeyFile" | "clientPKCS12File" | "clientPKCS12PasswordFile"
>;

/** Loads the configured client certificate and key; undefined when none is configured. Faults are ConfigErrors. */
export async function loadClientIdentity(files: IdentityFiles): Promise<ClientIdentity | undefined> {
  if (files.clientCertFile !== undefined && files.clientKeyFile !== undefined) {
    return await fromPem(files.clientCertFile, files.clientKeyFile);
  }
  if (files.clientPKCS12File !== undefined && files.clientPKCS12PasswordFile !== undefined) {
    return await fromPkcs12(files.clientPKCS12File, files.clientPKCS12PasswordFile);
  }
  return undefined;
}

async function read(file: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await readFile(file) as Uint8Array<ArrayBuffer>;
  } catch (err) {
    throw new ConfigError([{ file, message: `cannot read: ${(err as Error).message}` }]);
  }
}

async function fromPem(certFile: string, keyFile: string): Promise<ClientIdentity> {
  const pem = new TextDecoder().decode(await read(certFile));
  let certificates: Uint8Array<ArrayBuffer>[];
  try {
    certificates = pemDerOf(pem, "CERTIFICATE").map((der) =>
      new Uint8Array(new x509.X509Certificate(der).rawData)
    );
  } catch (err) {
    throw new ConfigError([{ file: certFile, message: `unreadable certificate: ${(err as Error).message}` }]);
  }
  if (certificates.length === 0) {
    throw new ConfigError([{ file: certFile, message: "no PEM certificate found" }]);
  }
  const keyPem = await read(keyFile);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(keyPem), format: "pem" });
  } catch (err) {
    throw new ConfigError([{ file: keyFile, message: `unreadable private key: ${(err as Error).message}` }]);
  }
  return identityOf(certificates, key, keyFile);
}

async function fromPkcs12(file: string, passwordFile: string): Promise<ClientIdentity> {
  const password = new TextDecoder().decode(await read(passwordFile)).split(/\r?\n/)[0];
  let contents;
  try {
    contents = await readPkcs12(await read(file), password);
  } catch (err) {
    throw new ConfigError([{ file, message: (err as Error).message }]);
  }
  const key = createPrivateKey({ key: Buffer.from(contents.privateKey), format: "der", type: "pkcs8" });
  return identityOf(contents.certificates, key, file);
}

/** Puts the certificate that belongs to `key` first; a key without its certificate is a ConfigError. */
function identityOf(certificates: Uint8Array<ArrayBuffer>[], key: KeyObject, file: string): ClientIdentity {
  const spki = new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  const index = certificates.findIndex((der) => samePublicKey(spki, new x509.X509Certificate(der)));
  if (index < 0) {
    throw new ConfigError([{ file, message: "the private key does not belong to the client certificate" }]);
  }
  const ordered = [certificates[index], ...certificates.filter((_, i) => i !== index)];
  return {
    certPem: ordered.map((der) => toPem(der, "CERTIFICATE")).join(""),
    keyPem: key.export({ type: "pkcs8", format: "pem" }) as string,
  };
}
