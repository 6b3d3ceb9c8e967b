/**
 * A session with one EST server: the connection (trust, client certificate,
 * Basic credentials) and the paths of the operations under the label.
 *
 * @module
 */
import { ClientFailure } from "./errors.ts";
import type { ClientIo } from "./io.ts";
import type { ClientOptions } from "./options.ts";
import type { Connection } from "./transport.ts";
import { establishTrust } from "./trust.ts";

/** The connection to use and where the operations live. */
export interface Session {
  conn: Connection;
  /** "/.well-known/est/cacerts" or "/.well-known/est/LABEL/cacerts", etc. */
  pathOf(operation: string): string;
  /** The chain a bootstrap confirmed, when the trust came from one. */
  bootstrapChain?: Uint8Array<ArrayBuffer>[];
}

/** Reads the client certificate files and establishes trust. */
export async function openSession(options: ClientOptions, io: ClientIo): Promise<Session> {
  const prefix = options.label === undefined ? "/.well-known/est" : `/.well-known/est/${options.label}`;
  const pathOf = (operation: string) => `${prefix}/${operation}`;
  const base: Omit<Connection, "ca"> = {
    origin: options.server,
    timeoutMs: options.timeoutMs,
    basic: options.basic,
    clientCert: options.clientCert && {
      cert: readPem(options.clientCert.certPath, "--cert", io),
      key: readPem(options.clientCert.keyPath, "--key", io),
    },
  };
  const trust = await establishTrust(options.trust, base, pathOf("cacerts"), io);
  return { conn: { ...base, ca: trust.ca }, pathOf, bootstrapChain: trust.bootstrapChain };
}

/** A PEM file's text; a readable file without PEM is refused here rather than by TLS. */
export function readPem(path: string, option: string, io: ClientIo): string {
  let text: string;
  try {
    text = io.readTextFile(path);
  } catch (err) {
    throw new ClientFailure(`cannot read ${option} ${path}: ${(err as Error).message}`);
  }
  if (!text.includes("-----BEGIN ")) throw new ClientFailure(`${option} ${path} is not a PEM file`);
  return text;
}
