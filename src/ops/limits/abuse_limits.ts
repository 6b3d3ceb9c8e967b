import { TooManyRequestsError } from "../../errors.ts";
import { clientKeyOf } from "./client_key.ts";
import { FailureLockout, type LockoutSettings } from "./failure_lockout.ts";
import type { QuotaMemory, QuotaRelease, QuotaReserver } from "./issuance_quota.ts";
import { type RateSettings, TokenBuckets } from "./token_buckets.ts";

/** The abuse limits, as configured in [limits]. */
export interface LimitSettings {
  /** Requests per client address (IPv6 by /64), before anything else is done. */
  perAddress: RateSettings;
  /** Requests per authenticated principal. */
  perPrincipal: RateSettings;
  /** Lockout of a user name after refused passwords. */
  userLockout: LockoutSettings;
  /** Lockout of a client address after refused credentials of any user. */
  addressLockout: LockoutSettings;
  /** Certificates per principal and label within `quotaWindowSeconds`; 0 for none. */
  issuanceQuota: number;
  quotaWindowSeconds: number;
  /** Most addresses, names and principals tracked by each limit. */
  trackedKeys: number;
}

/** Which limit refused a request (the `limit` label of est_limit_refusals_total). */
export type LimitName =
  | "address_rate"
  | "principal_rate"
  | "user_lockout"
  | "address_lockout"
  | "issuance_quota";

/** What the limits report to (metrics). */
export interface LimitObserver {
  refused(limit: LimitName): void;
  lockedOut(scope: "user" | "address"): void;
}

const SILENT: LimitObserver = { refused() {}, lockedOut() {} };

/** The memory of the rate limits and lockouts, which every listener thread of a process shares. */
export interface LimitMemory {
  addresses: SharedArrayBuffer;
  principals: SharedArrayBuffer;
  users: SharedArrayBuffer;
  failingAddresses: SharedArrayBuffer;
  /** The issuance quota's, when it counts in this process. */
  quota?: QuotaMemory;
}

/**
 * Rate limits, authentication lockout and issuance quotas. The rates and
 * lockouts count in memory the listener threads share (`memory`, from the
 * primary's `memory()`), so a client gets no more whichever thread serves it.
 * Each check throws 429 with Retry-After when its limit applies.
 */
export class AbuseLimits {
  readonly #addresses: TokenBuckets;
  readonly #principals: TokenBuckets;
  readonly #users: FailureLockout;
  readonly #failingAddresses: FailureLockout;
  readonly #quota: QuotaReserver;

  constructor(
    readonly settings: LimitSettings,
    quota: QuotaReserver,
    private readonly observer: LimitObserver = SILENT,
    memory?: LimitMemory,
  ) {
    const keys = settings.trackedKeys;
    this.#addresses = new TokenBuckets(settings.perAddress, keys, memory?.addresses);
    this.#principals = new TokenBuckets(settings.perPrincipal, keys, memory?.principals);
    this.#users = new FailureLockout(settings.userLockout, keys, memory?.users);
    this.#failingAddresses = new FailureLockout(settings.addressLockout, keys, memory?.failingAddresses);
    this.#quota = quota;
  }

  /** The memory of these limits, for the limits of another listener thread to share. */
  memory(): LimitMemory {
    return {
      addresses: this.#addresses.table.buffer,
      principals: this.#principals.table.buffer,
      users: this.#users.table.buffer,
      failingAddresses: this.#failingAddresses.table.buffer,
      quota: this.#quota.memory?.(),
    };
  }

  /** A request from `address`: within its rate? */
  checkAddress(address: string | undefined): void {
    const wait = this.#addresses.take(clientKeyOf(address));
    if (wait > 0) throw this.#refuse("address_rate", "Too many requests from this address", wait);
  }

  /** Before credentials are checked: is the user name or the address locked out? */
  checkLockout(user: string | undefined, address: string | undefined): void {
    const addressWait = this.#failingAddresses.lockedFor(clientKeyOf(address));
    if (addressWait > 0) {
      throw this.#refuse("address_lockout", "Too many failed authentications from this address", addressWait);
    }
    const userWait = user === undefined ? 0 : this.#users.lockedFor(user);
    if (userWait > 0) {
      throw this.#refuse("user_lockout", "Too many failed authentications for this user", userWait);
    }
  }

  /** Credentials were refused (the user name when there was one). */
  authFailed(user: string | undefined, address: string | undefined): void {
    if (this.#failingAddresses.fail(clientKeyOf(address))) this.observer.lockedOut("address");
    if (user !== undefined && this.#users.fail(user)) this.observer.lockedOut("user");
  }

  /** The user's password was accepted: its failures are forgotten (the address's are not). */
  authSucceeded(user: string): void {
    this.#users.succeed(user);
  }

  /** A request by an authenticated principal: within its rate? */
  checkPrincipal(name: string): void {
    const wait = this.#principals.take(name);
    if (wait > 0) throw this.#refuse("principal_rate", "Too many requests for this user", wait);
  }

  /** Reserves an issuance under the principal's quota (the label's when it sets one). */
  async reserveIssuance(
    principal: string,
    label: string | undefined,
    labelQuota?: number,
  ): Promise<QuotaRelease> {
    try {
      return await this.#quota.reserve(principal, label, labelQuota ?? this.settings.issuanceQuota);
    } catch (err) {
      if (err instanceof TooManyRequestsError) this.observer.refused("issuance_quota");
      throw err;
    }
  }

  #refuse(limit: LimitName, message: string, seconds: number): TooManyRequestsError {
    this.observer.refused(limit);
    return new TooManyRequestsError(message, seconds);
  }
}
