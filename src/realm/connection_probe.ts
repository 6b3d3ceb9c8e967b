import type { RealmConfig } from "../config/components.ts";
import type { CheckResult } from "./realm.ts";
import { createRealm } from "./registry.ts";

/** For `check-config --connect`: builds the configured realm, asks its directory or database once, closes it. */
export async function probeRealm(config: RealmConfig): Promise<CheckResult> {
  const realm = createRealm(config);
  try {
    return await realm.health();
  } finally {
    await realm.close();
  }
}
