import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { text } from "./values.ts";

/**
 * A path (relative to the configuration directory) to a file that must be
 * readable and, when `pemLabel` is given, hold at least one PEM block of that
 * kind ("CERTIFICATE", or "PRIVATE KEY" for any key format). Checked when the
 * configuration loads, so `check-config` refuses what the server would.
 */
export function readableFile(
  dir: string,
  pemLabel?: "CERTIFICATE" | "PRIVATE KEY",
): z.ZodType<string, unknown> {
  return text.transform((value, ctx) => {
    const path = resolve(dir, value);
    let content: string;
    try {
      content = readFileSync(path, "latin1");
    } catch (err) {
      ctx.addIssue({ code: "custom", message: `cannot read ${path}: ${(err as Error).message}` });
      return z.NEVER;
    }
    const pattern = pemLabel === "PRIVATE KEY"
      ? /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/
      : new RegExp(`-----BEGIN ${pemLabel}-----`);
    if (pemLabel !== undefined && !pattern.test(content)) {
      ctx.addIssue({ code: "custom", message: `${path} holds no PEM ${pemLabel}` });
      return z.NEVER;
    }
    return path;
  });
}
