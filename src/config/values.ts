/**
 * Value schemas that accept both native TOML types and the strings a Java
 * properties file can only hold, so one schema serves both sources.
 *
 * @module
 */

import { z } from "zod";

/** An integer given as a number or a decimal string, within [min, max]. */
export function integer(min: number, max: number): z.ZodType<number, unknown> {
  return z.preprocess(
    (v) => typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v,
    z.number({ error: "must be an integer" }).int("must be an integer")
      .min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );
}

/** A boolean given natively or as "true"/"false" (any case, as Dogtag writes them). */
export const boolean: z.ZodType<boolean, unknown> = z.preprocess(
  (v) => {
    if (typeof v !== "string") return v;
    const s = v.trim().toLowerCase();
    return s === "true" ? true : s === "false" ? false : v;
  },
  z.boolean({ error: 'must be "true" or "false"' }),
);

/** A list given as an array of strings or a comma-separated string (trimmed, empties dropped). */
export const stringList: z.ZodType<string[], unknown> = z.preprocess(
  (v) => typeof v === "string" ? v.split(",") : v,
  z.array(z.string({ error: "must be a list of strings" }), {
    error: "must be a list of strings",
  }).transform((items) => items.map((s) => s.trim()).filter((s) => s !== "")),
);

/** A non-empty string (after trimming). */
export const text: z.ZodType<string, unknown> = z.string({
  error: (issue) => issue.input === undefined ? "is required" : "must be a string",
}).trim().min(1, "must not be empty");

/** A listening address "host:port" or "[ipv6]:port". */
export const bindAddress: z.ZodType<{ host: string; port: number }, unknown> = z.string({
  error: "must be a string",
}).transform((s, ctx) => {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]\s]+)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    ctx.addIssue({ code: "custom", message: `must be "host:port" or "[ipv6]:port", got "${s}"` });
    return z.NEVER;
  }
  return { host: m[1] ?? m[2], port };
});
