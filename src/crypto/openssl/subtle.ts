import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey } from "node:crypto";
import {
  type AlgorithmInput,
  bytesOf,
  checkUsages,
  curveName,
  EC_FIELD_BYTES,
  hashName,
  keyAlgorithmFor,
  maxSignatureSize,
  member,
  pssSaltLength,
  signingAlgorithm,
  type SigningAlgorithmName,
} from "./algorithms.ts";
import { type KeyMaterial, materialOf, OpensslCryptoKey } from "./crypto_key.ts";
import { digestSign, digestVerify, type SignatureScheme } from "./digest_sign.ts";
import { ecdsaDerToRaw, ecdsaRawToDer } from "./ecdsa_signature.ts";
import { ecPointToSpki, jwkToDer } from "./jwk_der.ts";
import type { KeyHandles } from "./key_handles.ts";
import { generatePkey, type KeySpec } from "./keygen.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";
import { importSpki } from "./spki_import.ts";
import {
  ed25519FromRaw,
  type KeyFacts,
  keyFacts,
  parsePkcs8,
  pkcs8Of,
  rawPublicOf,
  spkiOf,
} from "./pkey_codec.ts";

type ImportFormat = "spki" | "pkcs8" | "raw" | "jwk";

/**
 * The SubtleCrypto subset that signing libraries use (importKey, exportKey,
 * generateKey, sign, verify) for ECDSA P-256/P-384/P-521, RSASSA-PKCS1-v1_5,
 * RSA-PSS and Ed25519, done by libcrypto. Digests, other algorithms and keys
 * made by the built-in WebCrypto go to the built-in WebCrypto. Bad input is
 * answered as WebCrypto answers it: a rejected promise, or `false` from verify.
 */
export class OpensslSubtle {
  readonly #lib: LibcryptoSymbols;
  readonly #handles: KeyHandles;
  readonly #builtin: SubtleCrypto = globalThis.crypto.subtle;

  constructor(lib: LibcryptoSymbols, handles: KeyHandles) {
    this.#lib = lib;
    this.#handles = handles;
  }

  /** WebCrypto importKey; spki, pkcs8, raw (EC and Ed25519 public keys) and jwk. */
  async importKey(
    format: KeyFormat,
    keyData: BufferSource | JsonWebKey,
    algorithm: AlgorithmInput,
    extractable: boolean,
    usages: KeyUsage[],
  ): Promise<CryptoKey> {
    const name = signingAlgorithm(algorithm);
    if (name === undefined) {
      // deno-lint-ignore no-explicit-any
      return await this.#builtin.importKey(format as any, keyData as any, algorithm, extractable, usages);
    }
    return this.#import(format as ImportFormat, keyData, name, algorithm, extractable, usages);
  }

  #import(
    format: ImportFormat,
    keyData: BufferSource | JsonWebKey,
    name: SigningAlgorithmName,
    algorithm: AlgorithmInput,
    extractable: boolean,
    usages: KeyUsage[],
  ): CryptoKey {
    switch (format) {
      case "spki":
        return this.#importSpki(
          bytesOf(keyData as BufferSource).slice(),
          name,
          algorithm,
          extractable,
          usages,
        );
      case "pkcs8":
        return this.#importPrivate(bytesOf(keyData as BufferSource), name, algorithm, extractable, usages);
      case "raw":
        return this.#importRaw(bytesOf(keyData as BufferSource), name, algorithm, extractable, usages);
      case "jwk": {
        const { type, der } = jwkToDer(keyData as JsonWebKey);
        return type === "private"
          ? this.#importPrivate(der, name, algorithm, extractable, usages)
          : this.#importSpki(der, name, algorithm, extractable, usages);
      }
      default:
        throw new DOMException(`unsupported key format ${format}`, "NotSupportedError");
    }
  }

  #importRaw(
    raw: Uint8Array<ArrayBuffer>,
    name: SigningAlgorithmName,
    algorithm: AlgorithmInput,
    extractable: boolean,
    usages: KeyUsage[],
  ): CryptoKey {
    if (name === "ECDSA") {
      const curve = curveName(member(algorithm, "namedCurve"));
      const spki = ecPointToSpki(curve, raw, EC_FIELD_BYTES[curve]);
      return this.#importSpki(spki, name, algorithm, extractable, usages);
    }
    if (name === "Ed25519") {
      const pointer = ed25519FromRaw(this.#lib, raw);
      const spki = pointer === null ? new Uint8Array(0) : spkiOf(this.#lib, pointer);
      return this.#importPublic(spki, pointer, name, algorithm, extractable, usages);
    }
    throw new DOMException(`raw import is not supported for ${name}`, "NotSupportedError");
  }

  #importSpki(
    spki: Uint8Array<ArrayBuffer>,
    name: SigningAlgorithmName,
    algorithm: AlgorithmInput,
    extractable: boolean,
    usages: KeyUsage[],
  ): CryptoKey {
    return this.#importPublic(spki, importSpki(this.#lib, spki), name, algorithm, extractable, usages);
  }

  /** A public key over `spki`, whose parsed form `pointer` is handed to the handle set. */
  #importPublic(
    spki: Uint8Array<ArrayBuffer>,
    pointer: Deno.PointerValue,
    name: SigningAlgorithmName,
    algorithm: AlgorithmInput,
    extractable: boolean,
    usages: KeyUsage[],
  ): CryptoKey {
    if (pointer === null) throw new DOMException("not a public key this algorithm can use", "DataError");
    try {
      const { facts, keyAlgorithm } = this.#describe(pointer, name, algorithm);
      const material = { spki };
      const key = new OpensslCryptoKey(
        { type: "public", facts, public: material },
        keyAlgorithm,
        extractable,
        checkUsages("public", usages, true),
      );
      this.#handles.adoptPublic(material, pointer);
      return key;
    } catch (err) {
      this.#lib.EVP_PKEY_free(pointer);
      throw err;
    }
  }

  #importPrivate(
    der: Uint8Array<ArrayBuffer>,
    name: SigningAlgorithmName,
    algorithm: AlgorithmInput,
    extractable: boolean,
    usages: KeyUsage[],
  ): CryptoKey {
    const pointer = parsePkcs8(this.#lib, der);
    if (pointer === null) throw new DOMException("not a PKCS#8 private key", "DataError");
    const handle = this.#handles.adoptPrivate(pointer);
    try {
      const { facts, keyAlgorithm } = this.#describe(pointer, name, algorithm);
      const key = new OpensslCryptoKey(
        { type: "private", facts, handle },
        keyAlgorithm,
        extractable,
        checkUsages("private", usages, false),
      );
      this.#handles.freeWith(key, handle);
      return key;
    } catch (err) {
      this.#handles.release(handle);
      throw err;
    }
  }

  #describe(
    pointer: Deno.PointerObject,
    name: SigningAlgorithmName,
    algorithm: AlgorithmInput,
  ): { facts: KeyFacts; keyAlgorithm: KeyAlgorithm } {
    const facts = keyFacts(this.#lib, pointer);
    if (facts === undefined) throw new DOMException("unsupported key type or curve", "DataError");
    return { facts, keyAlgorithm: keyAlgorithmFor(name, algorithm, facts) };
  }

  /** WebCrypto exportKey; spki and raw for public keys, pkcs8 for private ones, jwk for either. */
  async exportKey(format: KeyFormat, key: CryptoKey): Promise<ArrayBuffer | JsonWebKey> {
    const material = materialOf(key);
    // deno-lint-ignore no-explicit-any
    if (material === undefined) return await this.#builtin.exportKey(format as any, key);
    if (!key.extractable) throw new DOMException("the key is not extractable", "InvalidAccessError");
    if (format === "spki" && material.type === "public") return material.public.spki.slice().buffer;
    if (format === "pkcs8" && material.type === "private") {
      return pkcs8Of(this.#lib, this.#handles.privatePointer(material.handle)).buffer;
    }
    if (format === "raw" && material.type === "public") {
      return rawPublicOf(this.#lib, this.#handles.publicPointer(material.public), material.facts).buffer;
    }
    if (format === "jwk") return this.#exportJwk(key, material);
    throw new DOMException(`cannot export a ${key.type} key as ${format}`, "InvalidAccessError");
  }

  #exportJwk(key: CryptoKey, material: KeyMaterial): JsonWebKey {
    const der = material.type === "public"
      ? material.public.spki
      : pkcs8Of(this.#lib, this.#handles.privatePointer(material.handle));
    const jwk = material.type === "public"
      ? createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" }).export({ format: "jwk" })
      : createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" }).export({ format: "jwk" });
    return { ...jwk, ext: key.extractable, key_ops: [...key.usages] } as JsonWebKey;
  }

  /** WebCrypto generateKey: a key pair for ECDSA, RSASSA-PKCS1-v1_5, RSA-PSS or Ed25519. */
  async generateKey(
    algorithm: AlgorithmInput,
    extractable: boolean,
    usages: KeyUsage[],
  ): Promise<CryptoKeyPair | CryptoKey> {
    const name = signingAlgorithm(algorithm);
    // deno-lint-ignore no-explicit-any
    if (name === undefined) return await this.#builtin.generateKey(algorithm as any, extractable, usages);
    const privateUsages = checkUsages("private", usages.filter((u) => u !== "verify"), false);
    const publicUsages = usages.filter((u) => u === "verify");
    const pointer = generatePkey(this.#lib, keySpec(name, algorithm));
    const handle = this.#handles.adoptPrivate(pointer);
    try {
      const { facts, keyAlgorithm } = this.#describe(pointer, name, algorithm);
      const material = { spki: spkiOf(this.#lib, pointer) };
      const privateKey = new OpensslCryptoKey(
        { type: "private", facts, handle },
        keyAlgorithm,
        extractable,
        privateUsages,
      );
      this.#handles.freeWith(privateKey, handle);
      const publicKey = new OpensslCryptoKey(
        { type: "public", facts, public: material },
        keyAlgorithm,
        true,
        publicUsages,
      );
      return { privateKey, publicKey };
    } catch (err) {
      this.#handles.release(handle);
      throw err;
    }
  }

  /** WebCrypto sign; ECDSA signatures come back as r||s. */
  async sign(algorithm: AlgorithmInput, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer> {
    const material = materialOf(key);
    // deno-lint-ignore no-explicit-any
    if (material === undefined) return await this.#builtin.sign(algorithm as any, key, data);
    if (material.type !== "private" || !key.usages.includes("sign")) {
      throw new DOMException("the key cannot sign", "InvalidAccessError");
    }
    const scheme = this.#scheme(algorithm, key);
    const pointer = this.#handles.privatePointer(material.handle);
    const signature = digestSign(this.#lib, pointer, scheme, bytesOf(data), maxSignatureSize(material.facts));
    if (material.facts.kind !== "ec") return signature.buffer;
    const raw = ecdsaDerToRaw(this.#lib, signature, EC_FIELD_BYTES[material.facts.curve]);
    if (raw === null) throw new DOMException("unexpected ECDSA signature", "OperationError");
    return raw.buffer;
  }

  /** WebCrypto verify: true or false for any signature bytes; rejects only for misuse (wrong key, algorithm). */
  async verify(
    algorithm: AlgorithmInput,
    key: CryptoKey,
    signature: BufferSource,
    data: BufferSource,
  ): Promise<boolean> {
    const material = materialOf(key);
    // deno-lint-ignore no-explicit-any
    if (material === undefined) return await this.#builtin.verify(algorithm as any, key, signature, data);
    if (material.type !== "public" || !key.usages.includes("verify")) {
      throw new DOMException("the key cannot verify", "InvalidAccessError");
    }
    const scheme = this.#scheme(algorithm, key);
    let bytes: Uint8Array<ArrayBuffer> | null = bytesOf(signature);
    if (material.facts.kind === "ec") {
      bytes = bytes.byteLength === 2 * EC_FIELD_BYTES[material.facts.curve]
        ? ecdsaRawToDer(this.#lib, bytes)
        : null;
      if (bytes === null) return false;
    }
    const pointer = this.#handles.publicPointer(material.public);
    return digestVerify(this.#lib, pointer, scheme, bytes, bytesOf(data));
  }

  #scheme(algorithm: AlgorithmInput, key: CryptoKey): SignatureScheme {
    const name = signingAlgorithm(algorithm);
    if (name !== key.algorithm.name) {
      throw new DOMException(
        `the key is for ${key.algorithm.name}, not ${String(name)}`,
        "InvalidAccessError",
      );
    }
    switch (name) {
      case "ECDSA":
        return { hash: hashName(member(algorithm, "hash")) };
      case "RSASSA-PKCS1-v1_5":
        return { hash: hashName((key.algorithm as RsaHashedKeyAlgorithm).hash) };
      case "RSA-PSS": {
        return {
          hash: hashName((key.algorithm as RsaHashedKeyAlgorithm).hash),
          pssSaltLength: pssSaltLength(algorithm),
        };
      }
      default:
        return {};
    }
  }

  /** Digests go to the built-in WebCrypto. */
  digest(algorithm: AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer> {
    return this.#builtin.digest(algorithm, data);
  }
}

function keySpec(name: SigningAlgorithmName, algorithm: AlgorithmInput): KeySpec {
  switch (name) {
    case "ECDSA":
      return { kind: "ec", curve: curveName(member(algorithm, "namedCurve")) };
    case "Ed25519":
      return { kind: "ed25519" };
    default: {
      hashName(member(algorithm, "hash"));
      const bits = member(algorithm, "modulusLength");
      const exponent = member(algorithm, "publicExponent");
      if (
        typeof bits !== "number" || !Number.isInteger(bits) || bits < 1024 || bits > 16384 || bits % 8 !== 0
      ) {
        throw new DOMException("modulusLength must be a multiple of 8 from 1024 to 16384", "OperationError");
      }
      if (!(exponent instanceof Uint8Array) || exponent.byteLength === 0 || exponent.byteLength > 8) {
        throw new DOMException("publicExponent must be a big-endian Uint8Array", "OperationError");
      }
      return { kind: "rsa", bits, publicExponent: exponent as Uint8Array<ArrayBuffer> };
    }
  }
}
