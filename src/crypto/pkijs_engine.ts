import * as pkijs from "pkijs";

/**
 * pkijs's engine over a provider's `Crypto`. pkijs turns SPKI and PKCS#8
 * into JWK before importing (a detour through JSON for every certificate it
 * verifies); this engine hands DER formats straight to the provider.
 */
export class ProviderCryptoEngine extends pkijs.CryptoEngine {
  constructor(name: string, crypto: Crypto) {
    super({ name, crypto });
  }

  override importKey(
    format: KeyFormat,
    keyData: BufferSource | JsonWebKey,
    algorithm: AlgorithmIdentifier,
    extractable: boolean,
    keyUsages: KeyUsage[],
  ): Promise<CryptoKey> {
    if (format === "spki" || format === "pkcs8") {
      return this.subtle.importKey(format, keyData as BufferSource, algorithm, extractable, keyUsages);
    }
    // deno-lint-ignore no-explicit-any
    return super.importKey(format as any, keyData as any, algorithm, extractable, keyUsages);
  }
}
