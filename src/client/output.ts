/**
 * Writing what the client obtained: certificates and keys as PEM (default) or
 * DER, each file written atomically; private keys with mode 0600.
 *
 * @module
 */
import { toPem } from "../encoding/pem.ts";
import { writeFileAtomic } from "../ops/atomic_file.ts";
import { ClientFailure } from "./errors.ts";

/** PEM (certificates concatenated) or DER (the first certificate only: DER holds one). */
export type OutputFormat = "pem" | "der";

/** Where written text goes when no file is named. */
export interface TextSink {
  write(text: string): void;
}

/** Writes certificates to `path` (or `stdout` as PEM when there is no path). */
export function writeCertificates(
  certs: readonly Uint8Array<ArrayBuffer>[],
  path: string | undefined,
  format: OutputFormat,
  stdout: TextSink,
): void {
  if (path === undefined) {
    stdout.write(certs.map((der) => toPem(der, "CERTIFICATE")).join(""));
    return;
  }
  const content = format === "der" ? certs[0] : certs.map((der) => toPem(der, "CERTIFICATE")).join("");
  write(path, content, 0o644);
}

/** Writes a PKCS#8 private key to `path`, mode 0600, PEM or DER. */
export function writePrivateKey(pkcs8: Uint8Array<ArrayBuffer>, path: string, format: OutputFormat): void {
  write(path, format === "der" ? pkcs8 : toPem(pkcs8, "PRIVATE KEY"), 0o600);
}

/** Writes raw bytes (e.g. a CSR or csrattrs DER) to `path`. */
export function writeBytes(path: string, content: string | Uint8Array<ArrayBuffer>): void {
  write(path, content, 0o644);
}

function write(path: string, content: string | Uint8Array<ArrayBuffer>, mode: number): void {
  try {
    writeFileAtomic(path, content, mode);
  } catch (err) {
    throw new ClientFailure(`cannot write ${path}: ${(err as Error).message}`);
  }
}
