/** Who made a request, as a realm established it. */
export interface Principal {
  /** The user ID (Dogtag's `getName()`). */
  name: string;
  /** The user's full name, when the realm knows one (Dogtag's PKIPrincipal full name). */
  fullName?: string;
  roles: string[];
  /** How the principal proved itself. */
  method: "password" | "certificate";
}

/** The outcome of a readiness probe of one dependency. */
export interface CheckResult {
  ok: boolean;
  detail?: string;
}

/** A source of identities: checks passwords (and, later, certificates). */
export interface Realm {
  /** The principal for these credentials, or null when they are wrong; throws when the realm is down. */
  authenticate(username: string, password: string): Promise<Principal | null>;
  health(): Promise<CheckResult>;
  close(): Promise<void>;
}
