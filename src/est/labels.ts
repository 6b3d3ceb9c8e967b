/**
 * Labels (`/.well-known/est/<label>/...`): which are served, and what each
 * changes for issuance.
 *
 * @module
 */

import type { Backend, IssuanceSettings } from "../backend/backend.ts";
import { LABEL_PATTERN } from "../config/label_pattern.ts";
import type { Base64Layout, LabelPolicy, Settings } from "../config/settings.ts";
import type { IdentityNamePolicy } from "../authz/user_name_rules.ts";
import { NotFoundError } from "../errors.ts";

/** The operation names (and Dogtag's info document), which a label may not take. */
export const RESERVED_LABELS: ReadonlySet<string> = new Set([
  "cacerts",
  "csrattrs",
  "simpleenroll",
  "simplereenroll",
  "serverkeygen",
  "fullcmc",
  "info",
]);

/**
 * The policy of a request's label: none for the unlabelled paths and for
 * undeclared labels the backend serves itself; 404 for a malformed label or an
 * undeclared one the backend does not accept.
 */
export function resolveLabel(
  label: string | undefined,
  labels: Record<string, LabelPolicy>,
  backend?: Pick<Backend, "acceptsUndeclaredLabel">,
): LabelPolicy | undefined {
  if (label === undefined) return undefined;
  if (!LABEL_PATTERN.test(label) || RESERVED_LABELS.has(label)) throw new NotFoundError("Unknown label");
  if (Object.hasOwn(labels, label)) return labels[label];
  if (backend?.acceptsUndeclaredLabel?.(label) === true) return undefined;
  throw new NotFoundError("Unknown label");
}

/** The issuance settings a label overrides (none for the unlabelled paths). */
export function issuanceSettingsOf(label: LabelPolicy | undefined): IssuanceSettings {
  return {
    validityDays: label?.validityDays,
    extendedKeyUsage: label?.extendedKeyUsage,
    caProfile: label?.caProfile,
  };
}

/** The names a password principal may request on a path: the label's lists, else the server's. */
export function identityNamePolicy(
  auth: Settings["auth"],
  label: LabelPolicy | undefined,
): IdentityNamePolicy {
  return label?.identityNames ?? auth.identityNames;
}

/** How response base64 is laid out for a label: its own line length and ending, else the server's. */
export function responseLayout(label: LabelPolicy | undefined, server: Base64Layout): Base64Layout {
  return {
    lineLength: label?.layout?.lineLength ?? server.lineLength,
    lineEnding: label?.layout?.lineEnding ?? server.lineEnding,
  };
}
