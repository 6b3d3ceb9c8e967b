import type { Backend, IssuanceProfile } from "../backend/backend.ts";
import { LABEL_PATTERN, type LabelSettings } from "../config/schema.ts";
import { NotFoundError } from "../errors.ts";

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

/**
 * The settings of a request's label: none for the unlabelled paths and for
 * undeclared labels the backend serves itself; 404 for a malformed label or an
 * undeclared one the backend does not accept.
 */
export function resolveLabel(
  label: string | undefined,
  labels: Record<string, LabelSettings>,
  backend?: Pick<Backend, "acceptsUndeclaredLabel">,
): LabelSettings | undefined {
  if (label === undefined) return undefined;
  if (!LABEL_PATTERN.test(label) || RESERVED.has(label)) throw new NotFoundError("Unknown label");
  if (Object.hasOwn(labels, label)) return labels[label];
  if (backend?.acceptsUndeclaredLabel?.(label) === true) return undefined;
  throw new NotFoundError("Unknown label");
}

/** The issuance settings a label overrides (none for the unlabelled paths). */
export function issuanceProfile(label: LabelSettings | undefined): IssuanceProfile {
  return { validityDays: label?.validity_days, extendedKeyUsage: label?.extended_key_usage };
}
