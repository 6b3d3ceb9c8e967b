import assert from "node:assert/strict";
import { readBounded } from "../../src/encoding/bounded_stream.ts";

function streamOf(chunks: string[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(new TextEncoder().encode(chunks[i++]));
      else controller.close();
    },
    cancel: onCancel,
  });
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("bounded stream: under, at and over the limit; stop cancels, drain reads to the end", async () => {
  assert.deepEqual(await readBounded(null, 4, "stop"), { bytes: new Uint8Array(0), overflowed: false });
  const under = await readBounded(streamOf(["ab", "c"]), 4, "stop");
  assert.equal(text(under.bytes), "abc");
  assert.equal(under.overflowed, false);
  const at = await readBounded(streamOf(["ab", "cd"]), 4, "stop");
  assert.equal(text(at.bytes), "abcd");
  assert.equal(at.overflowed, false);
  let cancelled = false;
  const stopped = await readBounded(streamOf(["ab", "cde", "fgh"], () => cancelled = true), 4, "stop");
  assert.equal(text(stopped.bytes), "abcd");
  assert.ok(stopped.overflowed && cancelled);
  const remaining = ["ab", "cde", "fgh", "ijk"];
  const drained = await readBounded(streamOf(remaining), 4, "drain");
  assert.equal(text(drained.bytes), "abcd");
  assert.ok(drained.overflowed);
});
