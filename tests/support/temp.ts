/** One temporary root per test process, removed when the process unloads. */
const root = Deno.makeTempDirSync({ prefix: "est-tests-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch {
    // already gone
  }
});

/** A fresh directory under the process's temporary root. */
export function tempDir(options: { prefix?: string } = {}): Promise<string> {
  return Deno.makeTempDir({ dir: root, prefix: options.prefix });
}
