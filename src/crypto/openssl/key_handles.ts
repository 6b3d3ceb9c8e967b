import type { LibcryptoSymbols } from "./libcrypto.ts";
import { importSpki } from "./spki_import.ts";

/** One private EVP_PKEY; `pointer` is null once freed. */
export interface PrivateHandle {
  pointer: Deno.PointerObject | null;
  /** Signing contexts made for this key and kept with it (freed with it), by scheme. */
  signContexts?: Map<string, Deno.PointerObject>;
}

/** A public key as held by its CryptoKey: the DER, from which a native handle is made on demand. */
export interface PublicMaterial {
  readonly spki: Uint8Array<ArrayBuffer>;
}

/** How many native handles are alive, for leak checks and operators. */
export interface HandleCounts {
  private: number;
  public: number;
}

/**
 * Owns every EVP_PKEY the provider makes, so that each is freed exactly once:
 *
 * - private keys (few: a CA key, a generated TLS key) live until their
 *   CryptoKey is garbage-collected or the owner closes;
 * - public keys (one per CSR or certificate verified) are DER in their
 *   CryptoKey plus a native handle in a bounded most-recently-used set: the
 *   oldest handle is freed when the set is full and made again from the DER
 *   if that key is used again. Memory stays bounded without relying on GC.
 */
export class KeyHandles {
  readonly #lib: LibcryptoSymbols;
  readonly #publicLimit: number;
  readonly #private = new Set<PrivateHandle>();
  readonly #public = new Map<PublicMaterial, Deno.PointerObject>();
  readonly #collected = new FinalizationRegistry<PrivateHandle>((handle) => this.#free(handle));
  #closed = false;

  constructor(lib: LibcryptoSymbols, publicLimit = 64) {
    this.#lib = lib;
    this.#publicLimit = publicLimit;
  }

  /** Takes ownership of a private EVP_PKEY, freed on close (or once its owner is collected: `freeWith`). */
  adoptPrivate(pointer: Deno.PointerObject): PrivateHandle {
    this.#checkOpen();
    const handle: PrivateHandle = { pointer };
    this.#private.add(handle);
    return handle;
  }

  /** Frees `handle` when `owner` (its CryptoKey) is garbage-collected. */
  freeWith(owner: object, handle: PrivateHandle): void {
    this.#collected.register(owner, handle, handle);
  }

  /** Frees a private handle now (a key that failed validation). */
  release(handle: PrivateHandle): void {
    this.#free(handle);
  }

  /** The live pointer of a private handle. */
  privatePointer(handle: PrivateHandle): Deno.PointerObject {
    this.#checkOpen();
    if (handle.pointer === null) throw new DOMException("the key has been released", "InvalidStateError");
    return handle.pointer;
  }

  /** Records `pointer` as the native handle of `material` (taking ownership). */
  adoptPublic(material: PublicMaterial, pointer: Deno.PointerObject): void {
    this.#checkOpen();
    this.#remember(material, pointer);
  }

  /** The native handle of a public key, made from its DER when not held. */
  publicPointer(material: PublicMaterial): Deno.PointerObject {
    this.#checkOpen();
    const held = this.#public.get(material);
    if (held !== undefined) {
      this.#public.delete(material);
      this.#public.set(material, held);
      return held;
    }
    const pointer = importSpki(this.#lib, material.spki);
    if (pointer === null) throw new DOMException("the public key no longer parses", "OperationError");
    this.#remember(material, pointer);
    return pointer;
  }

  /** Native handles currently alive. */
  counts(): HandleCounts {
    return { private: this.#private.size, public: this.#public.size };
  }

  /** Frees every handle; later use throws. */
  close(): void {
    if (this.#closed) return;
    for (const handle of [...this.#private]) this.#free(handle);
    for (const pointer of this.#public.values()) this.#lib.EVP_PKEY_free(pointer);
    this.#public.clear();
    this.#closed = true;
  }

  #remember(material: PublicMaterial, pointer: Deno.PointerObject): void {
    const previous = this.#public.get(material);
    if (previous !== undefined) this.#lib.EVP_PKEY_free(previous);
    this.#public.delete(material);
    this.#public.set(material, pointer);
    while (this.#public.size > this.#publicLimit) {
      const [oldest, oldestPointer] = this.#public.entries().next().value!;
      this.#public.delete(oldest);
      this.#lib.EVP_PKEY_free(oldestPointer);
    }
  }

  #free(handle: PrivateHandle): void {
    if (handle.pointer === null) return;
    for (const ctx of handle.signContexts?.values() ?? []) this.#lib.EVP_PKEY_CTX_free(ctx);
    handle.signContexts = undefined;
    this.#lib.EVP_PKEY_free(handle.pointer);
    handle.pointer = null;
    this.#private.delete(handle);
    this.#collected.unregister(handle);
  }

  #checkOpen(): void {
    if (this.#closed) throw new DOMException("the OpenSSL crypto provider is closed", "InvalidStateError");
  }
}
