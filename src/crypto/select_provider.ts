/**
 * Choosing a crypto provider from configuration.
 *
 * @module
 */

import { openOpensslProvider } from "./openssl/provider.ts";
import {
  type CryptoProvider,
  type CryptoProviderChoice,
  CryptoProviderError,
  type ProviderSelection,
} from "./provider.ts";
import { webCryptoProvider } from "./webcrypto.ts";

/** Opens the provider `choice` names; `open` is the OpenSSL opener (replaceable in tests). */
export function selectCryptoProvider(
  choice: CryptoProviderChoice,
  open: () => CryptoProvider = openOpensslProvider,
): ProviderSelection {
  if (choice === "webcrypto") return { provider: webCryptoProvider() };
  try {
    return { provider: open() };
  } catch (err) {
    const reason = `OpenSSL (libcrypto.so.3) cannot be used: ${(err as Error).message}`;
    if (choice === "openssl") throw new CryptoProviderError(`crypto.provider is "openssl" but ${reason}`);
    return { provider: webCryptoProvider(), fallbackReason: reason };
  }
}
