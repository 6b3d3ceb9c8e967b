/// <reference lib="deno.worker" />
import { SharedLimitTable } from "../../src/ops/limits/shared_limit_table.ts";

/** Adds 1 to field 0 of each given key `rounds` times over a table it is sent, then says "done". */
self.onmessage = (event: MessageEvent<{ buffer: SharedArrayBuffer; keys: string[]; rounds: number }>) => {
  const { buffer, keys, rounds } = event.data;
  const table = new SharedLimitTable(buffer);
  for (let i = 0; i < rounds; i++) {
    for (const key of keys) table.update(key, (values, at) => values[at] += 1);
  }
  self.postMessage("done");
};
