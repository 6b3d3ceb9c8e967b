import { chmodSync, renameSync, writeFileSync } from "node:fs";

/** Writes a file so readers see the old or the new content, never a part; `mode` is applied before the rename. */
export function writeFileAtomic(path: string, content: string | Uint8Array<ArrayBuffer>, mode: number): void {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  writeFileSync(tmp, content, { mode, flush: true });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}
