/**
 * Registers the configured crypto provider with the libraries that take a
 * process-wide engine (@peculiar/x509's default provider, pkijs's engine for
 * chain validation, CMS and PKCS#12). Code of this project does not read it:
 * the provider's `Crypto` is passed to the CSR parser and the CA.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import * as x509 from "../pki/x509.ts";
import type * as Pkijs from "pkijs";
import type { CryptoProvider, CryptoProviderChoice } from "./provider.ts";
import { selectCryptoProvider } from "./select_provider.ts";

const log = getLogger(["est", "crypto"]);

let active: CryptoProvider | undefined;
/** pkijs, once something needed it (client chains, CMS, PKCS#12): most servers never load it. */
let pkijsLoaded:
  | { pkijs: typeof Pkijs; engine: typeof import("./pkijs_engine.ts").ProviderCryptoEngine }
  | undefined;

/**
 * Makes `provider` the one @peculiar/x509 and pkijs use by default (chain
 * validation, CMS, PKCS#12). Holders of long-lived keys keep the `Crypto`
 * they made them with.
 */
export function useCryptoProvider(provider: CryptoProvider): CryptoProvider {
  active = provider;
  x509.cryptoProvider.set(provider.crypto);
  if (pkijsLoaded) setPkijsEngine(pkijsLoaded, provider);
  return provider;
}

/** pkijs, with the active provider as its engine (loaded on first use). */
export async function loadPkijs(): Promise<typeof Pkijs> {
  if (pkijsLoaded === undefined) {
    const [pkijs, { ProviderCryptoEngine }] = await Promise.all([
      import("pkijs"),
      import("./pkijs_engine.ts"),
    ]);
    pkijsLoaded ??= { pkijs, engine: ProviderCryptoEngine };
    if (active) setPkijsEngine(pkijsLoaded, active);
  }
  return pkijsLoaded.pkijs;
}

function setPkijsEngine(loaded: NonNullable<typeof pkijsLoaded>, provider: CryptoProvider): void {
  loaded.pkijs.setEngine(provider.name, new loaded.engine(provider.name, provider.crypto));
}

/**
 * Chooses the provider configuration asks for, makes it active and logs it.
 * The provider lives as long as the process (a second server in the same
 * process with the same choice shares it). Throws CryptoProviderError when
 * `openssl` is required but cannot be loaded.
 */
export function useConfiguredCryptoProvider(choice: CryptoProviderChoice): CryptoProvider {
  let provider = active;
  if (
    provider === undefined ||
    !(provider.name === choice || (choice === "auto" && provider.name === "openssl"))
  ) {
    const selection = selectCryptoProvider(choice);
    if (selection.fallbackReason) {
      log.warning("{reason}; using WebCrypto", { reason: selection.fallbackReason });
    }
    provider = useCryptoProvider(selection.provider);
  }
  log.info("crypto provider: {name} ({description})", {
    name: provider.name,
    description: provider.description,
  });
  return provider;
}
