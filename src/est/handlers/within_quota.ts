import type { LabelPolicy } from "../../config/settings.ts";
import type { EstServices } from "../services.ts";

/**
 * Runs `issue` within the principal's issuance quota on this label (429 when
 * it is used up); the issuance counts only when `issue` succeeds.
 */
export async function withinQuota<T>(
  services: EstServices,
  principal: string,
  label: string | undefined,
  labelPolicy: LabelPolicy | undefined,
  issue: () => Promise<T>,
): Promise<T> {
  const release = await services.limits?.reserveIssuance(principal, label, labelPolicy?.issuanceQuota);
  try {
    const issued = await issue();
    release?.(true);
    return issued;
  } catch (err) {
    release?.(false);
    throw err;
  }
}
