import { getLogger } from "@logtape/logtape";
import type { Client, Entry } from "ldapts";
import type { LdapRealmConfig } from "../../config/components.ts";
import type { CertificateIdentity } from "../certificate_identity.ts";
import { withDeadline } from "../deadline.ts";
import type { CheckResult, Principal, Realm } from "../realm.ts";
import { ConnectionPool } from "./connection_pool.ts";
import { bindAsService, directoryTlsOptions, openServiceConnection } from "./ldap_connection.ts";

const log = getLogger(["est", "realm", "ldap"]);

/** Longer user names are refused without asking the directory. */
const MAX_USERNAME_LENGTH = 256;

const CERTIFICATE_ATTRIBUTES = ["userCertificate", "userCertificate;binary"];

/** A user entry as the realm reads it. */
interface UserEntry {
  dn: string;
  uid: string;
  cn?: string;
}

/**
 * Dogtag's PKILDAPRealm: users one level under `usersDN` (`uid`, `cn`,
 * `userPassword`, `description` = certID, `userCertificate`), roles the `cn`
 * of groups under `groupsDN` listing the user's DN in `uniqueMember`. Every
 * value from a request goes into filters as an escaped assertion value.
 */
export class LdapRealm implements Realm {
  readonly #config: LdapRealmConfig;
  readonly #pool: ConnectionPool<Client>;
  readonly #callMs: number;

  constructor(config: LdapRealmConfig) {
    this.#config = config;
    const tls = directoryTlsOptions(config);
    // One call may open a connection, then search, bind and search again.
    this.#callMs = (config.connectTimeout + config.timeout) * 1000;
    this.#pool = new ConnectionPool<Client>({
      open: () => openServiceConnection(config, tls),
      close: (client) => client.unbind(),
      isOpen: (client) => client.isConnected,
      min: config.minConns,
      max: config.maxConns,
      acquireTimeoutMs: config.timeout * 1000,
      idleMs: 60_000,
    });
  }

  authenticate(username: string, password: string): Promise<Principal | null> {
    // An empty password would be an anonymous bind, which "succeeds" for anyone.
    if (username === "" || password === "" || username.length > MAX_USERNAME_LENGTH) {
      return Promise.resolve(null);
    }
    return this.#call("password login", (client) => this.#passwordLogin(client, username, password));
  }

  authenticateCertificate(certificate: CertificateIdentity): Promise<Principal | null> {
    return this.#call("certificate login", (client) => this.#certificateLogin(client, certificate));
  }

  async health(): Promise<CheckResult> {
    try {
      await this.#within((client) =>
        client.search(this.#config.usersDN, { scope: "base", attributes: ["1.1"], sizeLimit: 1 })
      );
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: `directory ${this.#config.url}: ${(err as Error).message}` };
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  /** A directory call; an outage throws (503) unless `errorIfDown=false`, which makes it a refusal (401). */
  async #call(what: string, work: (client: Client) => Promise<Principal | null>): Promise<Principal | null> {
    try {
      return await this.#within(work);
    } catch (err) {
      if (this.#config.errorIfDown) throw err;
      log.warning("{what} refused: the directory failed: {error}", { what, error: (err as Error).message });
      return null;
    }
  }

  #within<R>(work: (client: Client) => Promise<R>): Promise<R> {
    return this.#pool.use((client) =>
      withDeadline(work(client), this.#callMs, "the directory", () => void client.unbind().catch(() => {}))
    );
  }

  async #passwordLogin(client: Client, username: string, password: string): Promise<Principal | null> {
    // A client exists, so the module is loaded already (ldap_connection.ts loads it on first use).
    const { EqualityFilter, InvalidCredentialsError, SizeLimitExceededError } = await import("ldapts");
    const searchEntries = await client.search(this.#config.usersDN, {
      scope: "one",
      filter: new EqualityFilter({ attribute: "uid", value: username }),
      attributes: ["uid", "cn"],
      sizeLimit: 2,
    }).then((result) => result.searchEntries, (err) => {
      // More entries with this uid than asked for: as ambiguous as two.
      if (err instanceof SizeLimitExceededError) return [];
      throw err;
    });
    const user = searchEntries.length === 1 ? userOf(searchEntries[0]) : undefined;
    if (user === undefined) return null;
    try {
      await client.bind(user.dn, password);
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return null;
      throw err;
    } finally {
      await bindAsService(client, this.#config);
    }
    return this.#principal(client, user, "password");
  }

  async #certificateLogin(client: Client, certificate: CertificateIdentity): Promise<Principal | null> {
    const { EqualityFilter } = await import("ldapts");
    const { searchEntries } = await client.search(this.#config.usersDN, {
      scope: "one",
      filter: new EqualityFilter({ attribute: "description", value: certificate.certId }),
      attributes: ["uid", "cn", ...CERTIFICATE_ATTRIBUTES],
      explicitBufferAttributes: CERTIFICATE_ATTRIBUTES,
      sizeLimit: this.#config.maxResults,
    });
    const holders = searchEntries.filter((entry) => holdsCertificate(entry, certificate.der));
    if (holders.length !== 1) {
      if (holders.length > 1) {
        log.warning("certificate {certId} is held by several users", { certId: certificate.certId });
      }
      return null;
    }
    const user = userOf(holders[0]);
    return user === undefined ? null : this.#principal(client, user, "certificate");
  }

  async #principal(client: Client, user: UserEntry, method: Principal["method"]): Promise<Principal> {
    const { EqualityFilter } = await import("ldapts");
    const { searchEntries } = await client.search(this.#config.groupsDN, {
      scope: "one",
      filter: new EqualityFilter({ attribute: "uniqueMember", value: user.dn }),
      attributes: ["cn"],
      sizeLimit: this.#config.maxResults,
    });
    const roles = searchEntries.map((group) => firstString(group, "cn")).filter((cn) => cn !== undefined);
    return { name: user.uid, fullName: user.cn, roles: [...new Set(roles)].sort(), method };
  }
}

function valuesOf(entry: Entry, attribute: string): (string | Buffer)[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const value = key === undefined ? undefined : entry[key];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function firstString(entry: Entry, attribute: string): string | undefined {
  const first = valuesOf(entry, attribute)[0];
  return first === undefined ? undefined : String(first);
}

function userOf(entry: Entry): UserEntry | undefined {
  const uid = firstString(entry, "uid");
  return uid === undefined ? undefined : { dn: entry.dn, uid, cn: firstString(entry, "cn") };
}

function holdsCertificate(entry: Entry, der: Uint8Array): boolean {
  return CERTIFICATE_ATTRIBUTES.some((attribute) =>
    valuesOf(entry, attribute).some((value) => typeof value !== "string" && Buffer.compare(value, der) === 0)
  );
}
