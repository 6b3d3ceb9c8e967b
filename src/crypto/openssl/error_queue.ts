import type { LibcryptoSymbols } from "./libcrypto.ts";

/** A libcrypto call failed; the message carries OpenSSL's error queue. */
export class OpensslError extends Error {
  constructor(operation: string, readonly details: string[]) {
    super(details.length > 0 ? `${operation}: ${details.join("; ")}` : operation);
    this.name = "OpensslError";
  }
}

const text = new Uint8Array(256);

/** Empties this thread's error queue, returning its entries as OpenSSL's strings (at most 8 kept). */
export function drainErrors(lib: LibcryptoSymbols): string[] {
  const details: string[] = [];
  for (;;) {
    const code = BigInt(lib.ERR_get_error());
    if (code === 0n) return details;
    if (details.length < 8) {
      lib.ERR_error_string_n(code, text, BigInt(text.byteLength));
      const end = text.indexOf(0);
      details.push(new TextDecoder().decode(text.subarray(0, end < 0 ? text.byteLength : end)));
    }
  }
}

/** Throws an OpensslError for `operation`, draining the error queue into it. */
export function failure(lib: LibcryptoSymbols, operation: string): never {
  throw new OpensslError(operation, drainErrors(lib));
}
