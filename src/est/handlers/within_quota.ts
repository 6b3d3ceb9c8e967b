import type { LabelPolicy } from "../../config/settings.ts";
import type { EstServices } from "../services.ts";

/**
 * Runs `issue` within the principal's issuance quota on this label (429 when
 * it is used up); the issuance counts only when `issue` succeeds. The
 * reservation ends when `issue` reports its certificate recorded where the
 * quota counts it (so it is never counted twice), else when `issue` ends.
 */
export async function withinQuota<T>(
  services: EstServices,
  principal: string,
  label: string | undefined,
  labelPolicy: LabelPolicy | undefined,
  issue: (recorded: () => void) => Promise<T>,
): Promise<T> {
  const release = await services.limits?.reserveIssuance(principal, label, labelPolicy?.issuanceQuota);
  try {
    const issued = await issue(() => release?.(true));
    release?.(true);
    return issued;
  } catch (err) {
    release?.(false);
    throw err;
  }
}
