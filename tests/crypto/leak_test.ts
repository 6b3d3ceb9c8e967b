import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

/**
 * The OpenSSL provider frees what it allocates: 100,000 signatures and
 * verifications (each verification through a freshly imported public key, so
 * native key handles are made and freed all along) leave the RSS of a
 * process that does nothing else flat.
 */

const MB = 1024 * 1024;

Deno.test("crypto leak: 100,000 OpenSSL sign/verify operations keep RSS flat", async () => {
  const probe = fileURLToPath(new URL("./leak_probe.ts", import.meta.url));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc,--max-semi-space-size=1", probe, "100000"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(output.success, "the probe failed");
  const figures = JSON.parse(new TextDecoder().decode(output.stdout));
  const rounds: number[] = figures.rssRounds;
  // From the end of the first round (allocator arenas settled) to the end of the tenth.
  const growth = rounds[rounds.length - 1] - rounds[0];
  const mb = (n: number) => (n / MB).toFixed(1);
  console.log(
    `leak check: ${figures.operations} operations in ${figures.seconds.toFixed(1)} s; RSS after warm-up ` +
      `${mb(figures.rssBefore)} MB, after each tenth ${rounds.map(mb).join(" ")} MB ` +
      `(growth ${(growth / MB).toFixed(2)} MB); V8 heap ${mb(figures.heapBefore)} -> ${
        mb(figures.heapAfter)
      } MB; ` +
      `native key handles at the end ${JSON.stringify(figures.handles)}`,
  );
  assert.ok(growth < 2 * MB, `RSS grew by ${(growth / MB).toFixed(2)} MB`);
  assert.ok(figures.handles.public <= 64);
  assert.ok(figures.handles.private <= 257);
  assert.deepEqual(figures.handlesAfterClose, { private: 0, public: 0 });
});
