import type { InMemoryRealmConfig } from "../config/components.ts";
import { secretsEqual } from "./constant_time.ts";
import type { CheckResult, Principal, Realm } from "./realm.ts";

/** Dogtag's PKIInMemoryRealm: one user from configuration. */
export class InMemoryRealm implements Realm {
  constructor(private readonly config: InMemoryRealmConfig) {}

  authenticate(username: string, password: string): Promise<Principal | null> {
    // Both comparisons always run, so timing does not reveal which part was wrong.
    const userOk = secretsEqual(username, this.config.username);
    const passwordOk = secretsEqual(password, this.config.password);
    if (!(userOk && passwordOk)) return Promise.resolve(null);
    return Promise.resolve({
      name: this.config.username,
      fullName: this.config.fullName,
      roles: [...this.config.roles].sort(),
      method: "password",
    });
  }

  health(): Promise<CheckResult> {
    return Promise.resolve({ ok: true });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
