import type { IssuanceProfile } from "../backend/backend.ts";
import { LABEL_PATTERN, type LabelSettings } from "../config/schema.ts";
import { NotFoundError } from "./errors.ts";

/** The operation names, which a label may not take. */
const RESERVED = new Set([
  "cacerts",
  "csrattrs",
  "simpleenroll",
  "simplereenroll",
  "serverkeygen",
  "fullcmc",
  "info",
]);

/** The settings of a request's label: none for the unlabelled paths, 404 for an unknown or malformed label. */
export function resolveLabel(
  label: string | undefined,
  labels: Record<string, LabelSettings>,
): LabelSettings | undefined {
  if (label === undefined) return undefined;
  if (!LABEL_PATTERN.test(label) || RESERVED.has(label) || !Object.hasOwn(labels, label)) {
    throw new NotFoundError("Unknown label");
  }
  return labels[label];
}

/** The issuance settings a label overrides (none for the unlabelled paths). */
export function issuanceProfile(label: LabelSettings | undefined): IssuanceProfile {
  return { validityDays: label?.validity_days, extendedKeyUsage: label?.extended_key_usage };
}
