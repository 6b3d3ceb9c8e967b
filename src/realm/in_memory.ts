import type { InMemoryRealmConfig } from "../config/components.ts";
import { ComparableSecret } from "./constant_time.ts";
import type { CheckResult, Principal, Realm } from "./realm.ts";

/** Dogtag's PKIInMemoryRealm: one user from configuration. */
export class InMemoryRealm implements Realm {
  readonly #username: ComparableSecret;
  readonly #password: ComparableSecret;

  constructor(private readonly config: InMemoryRealmConfig) {
    this.#username = new ComparableSecret(config.username);
    this.#password = new ComparableSecret(config.password);
  }

  authenticate(username: string, password: string): Promise<Principal | null> {
    // Both comparisons always run, so timing does not reveal which part was wrong.
    const userOk = this.#username.matches(username);
    const passwordOk = this.#password.matches(password);
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
