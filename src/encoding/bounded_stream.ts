/**
 * Reading a web stream without letting its producer decide how much memory
 * it takes: at most `limit` bytes are kept.
 *
 * @module
 */

import { concatChunks } from "./bytes.ts";

/** What a bounded read kept, and whether the stream held more. */
export interface BoundedRead {
  bytes: Uint8Array<ArrayBuffer>;
  overflowed: boolean;
}

/**
 * Reads `stream` keeping at most `limit` bytes. Past the limit, `"stop"`
 * cancels the stream (an HTTP body nobody needs), `"drain"` reads the rest
 * and drops it (a child process's output, which must not block on a full
 * pipe).
 */
export async function readBounded(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
  overflow: "stop" | "drain",
): Promise<BoundedRead> {
  if (stream === null) return { bytes: new Uint8Array(0), overflowed: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size));
      size = limit;
      if (overflow === "stop") {
        await reader.cancel().catch(() => {});
        return { bytes: concatChunks(chunks), overflowed: true };
      }
      while (!(await reader.read()).done) { /* drop */ }
      return { bytes: concatChunks(chunks), overflowed: true };
    }
    size += value.byteLength;
    chunks.push(value);
  }
  return { bytes: concatChunks(chunks), overflowed: false };
}
