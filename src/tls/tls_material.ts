/**
 * The server's TLS identity as the listener takes it.
 *
 * @module
 */

/** The server's certificate chain and key, PEM. */
export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}
