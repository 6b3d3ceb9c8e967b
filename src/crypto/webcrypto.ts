import type { CryptoProvider } from "./provider.ts";

/** The runtime's built-in WebCrypto: portable, nothing to load or free. */
export function webCryptoProvider(): CryptoProvider {
  return {
    name: "webcrypto",
    description: `WebCrypto (Deno ${Deno.version.deno})`,
    crypto: globalThis.crypto,
    handleCounts: () => ({ private: 0, public: 0 }),
    close: () => {},
  };
}
