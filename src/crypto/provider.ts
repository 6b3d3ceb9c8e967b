/**
 * The crypto seam: what a provider of signatures, verifications and keys offers.
 *
 * @module
 */

/** The implementations of the crypto seam. */
export type CryptoProviderName = "openssl" | "webcrypto";

/** What configuration may ask for: `auto` prefers OpenSSL and falls back to WebCrypto. */
export type CryptoProviderChoice = "auto" | CryptoProviderName;

/** Native resources a provider holds, for leak checks. */
export interface NativeHandleCounts {
  private: number;
  public: number;
}

/**
 * Where signatures, verifications and keys come from. `crypto` is a
 * WebCrypto `Crypto` (its `subtle` covers importKey, exportKey, generateKey,
 * sign, verify and digest), so @peculiar/x509 and pkijs take it as it is.
 */
export interface CryptoProvider {
  readonly name: CryptoProviderName;
  /** For the startup log: "OpenSSL 3.0.13 30 Jan 2024 (libcrypto.so.3)", "WebCrypto (Deno 2.9.6)". */
  readonly description: string;
  readonly crypto: Crypto;
  /** Native key handles alive (always zero for WebCrypto). */
  handleCounts(): NativeHandleCounts;
  /** Frees every native resource; keys made by this provider stop working. */
  close(): void;
}

/** The provider chosen, and why `auto` did not get OpenSSL when it did not. */
export interface ProviderSelection {
  provider: CryptoProvider;
  fallbackReason?: string;
}

/** `openssl` was configured but libcrypto cannot be used. */
export class CryptoProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CryptoProviderError";
  }
}
