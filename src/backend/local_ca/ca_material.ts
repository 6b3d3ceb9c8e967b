import { existsSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import * as x509 from "../../pki/x509.ts";
import type { LocalCaConfig } from "../../config/components.ts";
import { ConfigError } from "../../config/errors.ts";
import { checkIsCa, readCertificates } from "../../config/files/local_ca_files.ts";
import { toPem } from "../../encoding/pem.ts";
import { writeFileAtomic } from "../../ops/atomic_file.ts";
import {
  exportPrivateKeyPem,
  importPrivateKeyPem,
  type KeyAlgorithm,
  keyAlgorithm,
  samePublicKey,
} from "./key_algorithms.ts";
import { newSerialHex } from "./serial.ts";

const log = getLogger(["est", "local-ca"]);

/** Extra attribute names accepted in configured subject strings. */
export const SUBJECT_NAMES = { UID: "0.9.2342.19200300.100.1.1", SERIALNUMBER: "2.5.4.5" };

/** The signing CA: its certificate, the chain up to the root, and its private key. */
export interface CaMaterial {
  cert: x509.X509Certificate;
  /** DER of the issuing CA first, then each issuer up to the root. */
  chainDer: Uint8Array<ArrayBuffer>[];
  key: CryptoKey;
  algorithm: KeyAlgorithm;
  /** The crypto provider that holds `key`: every signature with it goes through this. */
  crypto: Crypto;
}

/**
 * Loads the operator's CA, or the generated one in the state dir, creating it
 * on first start; its key lives in `crypto` (the configured provider's; the
 * built-in WebCrypto when none is given).
 */
export function loadOrCreateCa(
  config: LocalCaConfig,
  stateDir: string,
  crypto: Crypto = globalThis.crypto,
): Promise<CaMaterial> {
  if (config.caCertFile !== undefined && config.caKeyFile !== undefined) {
    return loadCaFiles(crypto, config.caCertFile, config.caKeyFile, config.caChainFile);
  }
  return loadOrCreateStateCa(crypto, config, join(stateDir, "local-ca"));
}

async function loadCaFiles(
  crypto: Crypto,
  certFile: string,
  keyFile: string,
  chainFile?: string,
): Promise<CaMaterial> {
  const cert = readCertificates(await readFile(certFile, "utf8"), certFile)[0];
  const chain = chainFile ? readCertificates(await readFile(chainFile, "utf8"), chainFile) : [];
  const loaded = await importPrivateKeyPem(await readFile(keyFile, "utf8"), crypto).catch((err) => {
    throw new ConfigError([{ file: keyFile, message: `cannot use CA key: ${(err as Error).message}` }]);
  });
  if (!samePublicKey(loaded.spki, cert)) {
    throw new ConfigError([{
      file: keyFile,
      message: `the key does not belong to the certificate in ${certFile}`,
    }]);
  }
  checkIsCa(cert, certFile);
  return {
    cert,
    chainDer: [cert, ...chain.filter((c) => !c.equal(cert))].map((c) => new Uint8Array(c.rawData)),
    key: loaded.key,
    algorithm: loaded.algorithm,
    crypto,
  };
}

async function loadOrCreateStateCa(crypto: Crypto, config: LocalCaConfig, dir: string): Promise<CaMaterial> {
  const certPath = join(dir, "ca.cert.pem");
  const keyPath = join(dir, "ca.key.pem");
  if (existsSync(certPath) && existsSync(keyPath)) {
    return loadCaFiles(crypto, certPath, keyPath);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const algorithm = keyAlgorithm(config.keyType);
  const keys = await crypto.subtle.generateKey(algorithm.generate, true, ["sign", "verify"]) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerialHex(),
    name: new x509.Name(config.subject, SUBJECT_NAMES),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + config.caValidityDays * 86_400_000),
    keys,
    signingAlgorithm: algorithm.signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    ],
  }, crypto);
  writeFileAtomic(keyPath, await exportPrivateKeyPem(keys.privateKey, crypto), 0o600);
  writeFileAtomic(certPath, toPem(new Uint8Array(cert.rawData), "CERTIFICATE"), 0o644);
  log.info("created local CA {subject} ({keyType}) in {dir}", {
    subject: cert.subject,
    keyType: config.keyType,
    dir,
  });
  const signingKey = (await importPrivateKeyPem(await readFile(keyPath, "utf8"), crypto)).key;
  return { cert, chainDer: [new Uint8Array(cert.rawData)], key: signingKey, algorithm, crypto };
}
