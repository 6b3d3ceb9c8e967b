import { join } from "node:path";
import { findProgram, restartablePort, unlessProgram, waitForPort } from "./services.ts";
import { runOk } from "./tools.ts";
import { tempDir } from "./temp.ts";

/**
 * A private OpenLDAP slapd on a loopback port, its database in a temporary
 * directory, loaded with the equivalent of Dogtag's `create.ldif`
 * (dc=est,dc=pki,dc=example,dc=com with ou=people, ou=groups and the group
 * "EST Users"). `cn=Directory Manager` / `Secret.123` is the administrator,
 * as in Dogtag's ds.conf.
 */

const SLAPD = findProgram("slapd", ["/usr/sbin/slapd"]);
const LDAPMODIFY = findProgram("ldapmodify", ["/usr/bin/ldapmodify"]);
const SCHEMA_DIR = "/etc/ldap/schema";
const MODULE_DIR = "/usr/lib/ldap";

export const SUFFIX = "dc=est,dc=pki,dc=example,dc=com";
export const USERS_DN = `ou=people,${SUFFIX}`;
export const GROUPS_DN = `ou=groups,${SUFFIX}`;
export const DIRECTORY_MANAGER = { dn: "cn=Directory Manager", password: "Secret.123" };

/** `ignore` option for tests that need slapd and ldapmodify. */
export function unlessSlapd(): boolean {
  return unlessProgram("slapd (and ldap-utils)", SLAPD && LDAPMODIFY);
}

/** TLS for the directory: its certificate and key, and the CA its clients' certificates chain to. */
export interface SlapdTls {
  certPath: string;
  keyPath: string;
  caPath: string;
}

export interface SlapdOptions {
  tls?: SlapdTls;
  /** DNs (as SASL EXTERNAL names them, e.g. `cn=est-realm,o=example`) that may read the whole tree. */
  readers?: string[];
}

const CREATE_LDIF = `dn: ${SUFFIX}
objectClass: domain
dc: est

dn: ${USERS_DN}
objectClass: organizationalUnit
ou: people

dn: ${GROUPS_DN}
objectClass: organizationalUnit
ou: groups

dn: cn=EST Users,${GROUPS_DN}
objectClass: groupOfUniqueNames
cn: EST Users
uniqueMember:
`;

function slapdConf(dir: string, options: SlapdOptions): string {
  const readers = (options.readers ?? []).map((dn) => ` by dn.exact="${dn}" read`).join("");
  const tls = options.tls
    ? [
      `TLSCertificateFile "${options.tls.certPath}"`,
      `TLSCertificateKeyFile "${options.tls.keyPath}"`,
      `TLSCACertificateFile "${options.tls.caPath}"`,
      "TLSVerifyClient try",
    ]
    : [];
  return [
    ...["core", "cosine", "inetorgperson"].map((s) => `include ${SCHEMA_DIR}/${s}.schema`),
    `modulepath ${MODULE_DIR}`,
    "moduleload back_mdb",
    `pidfile ${join(dir, "slapd.pid")}`,
    ...tls,
    // OpenLDAP only takes a rootpw under a database's suffix: Dogtag's "cn=Directory Manager" gets one of its own.
    "database mdb",
    "maxsize 1048576",
    `suffix "${DIRECTORY_MANAGER.dn}"`,
    `rootdn "${DIRECTORY_MANAGER.dn}"`,
    `rootpw ${DIRECTORY_MANAGER.password}`,
    `directory ${join(dir, "manager")}`,
    "database mdb",
    "maxsize 16777216",
    `suffix "${SUFFIX}"`,
    `rootdn "cn=admin,${SUFFIX}"`,
    `directory ${join(dir, "data")}`,
    "index uid,description,uniqueMember eq",
    `access to attrs=userPassword by dn.exact="${DIRECTORY_MANAGER.dn}" write by anonymous auth by * none`,
    `access to * by dn.exact="${DIRECTORY_MANAGER.dn}" write${readers} by self read by * none`,
    "",
  ].join("\n");
}

/** A running (or stopped) private slapd. */
export class Slapd {
  #process?: Deno.ChildProcess;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tlsPort: number | undefined,
  ) {}

  /** Creates the database, starts slapd and loads the create.ldif equivalent. */
  static async start(options: SlapdOptions = {}): Promise<Slapd> {
    const dir = await tempDir({ prefix: "est-slapd-" });
    await Deno.mkdir(join(dir, "manager"));
    await Deno.mkdir(join(dir, "data"));
    await Deno.writeTextFile(join(dir, "slapd.conf"), slapdConf(dir, options));
    const slapd = new Slapd(dir, restartablePort(), options.tls ? restartablePort() : undefined);
    await slapd.resume();
    await slapd.modify(CREATE_LDIF, true);
    return slapd;
  }

  /** ldap://127.0.0.1:PORT */
  get url(): string {
    return `ldap://127.0.0.1:${this.port}`;
  }

  /** ldaps://127.0.0.1:PORT, when started with TLS. */
  get tlsUrl(): string {
    return `ldaps://127.0.0.1:${this.tlsPort}`;
  }

  /** Applies LDIF (changetype records; plain records with `add`) as the Directory Manager, via ldapmodify. */
  async modify(ldif: string, add = false): Promise<void> {
    const args = ["-x", "-H", this.url, "-D", DIRECTORY_MANAGER.dn, "-w", DIRECTORY_MANAGER.password];
    await runOk(LDAPMODIFY!, add ? ["-a", ...args] : args, ldif);
  }

  /** Starts slapd (again) on the same ports and database. */
  async resume(): Promise<void> {
    const urls = [this.url, ...(this.tlsPort ? [this.tlsUrl] : [])].join(" ");
    this.#process = new Deno.Command(SLAPD!, {
      args: ["-f", join(this.dir, "slapd.conf"), "-h", urls, "-d", "none"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(this.#process.stderr).text();
    try {
      await waitForPort(this.port, 15_000, this.#process.status, "slapd");
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${await stderr}`);
    }
  }

  /** Stops slapd (SIGTERM) and waits until it has exited. */
  async stop(): Promise<void> {
    const process = this.#process;
    this.#process = undefined;
    if (process === undefined) return;
    try {
      process.kill("SIGTERM");
    } catch {
      // already exited
    }
    await process.status;
  }

  /** Freezes slapd (SIGSTOP): connections are accepted by the kernel and never answered. */
  freeze(): void {
    this.#process?.kill("SIGSTOP");
  }

  /** Undoes freeze(). */
  thaw(): void {
    this.#process?.kill("SIGCONT");
  }

  /** Stops slapd and removes its files. */
  async close(): Promise<void> {
    this.thaw();
    await this.stop();
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** LDIF adding a user (inetOrgPerson) with a password, and making it a member of `groups` (cn under ou=groups). */
export function userLdif(uid: string, cn: string, password: string, groups: string[] = []): string {
  const dn = `uid=${uid},${USERS_DN}`;
  const entry =
    `dn: ${dn}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${cn}\nsn: ${uid}\n` +
    `userPassword: ${password}\n`;
  const memberships = groups.map((group) =>
    `\ndn: cn=${group},${GROUPS_DN}\nchangetype: modify\nadd: uniqueMember\nuniqueMember: ${dn}\n`
  );
  return [entry, ...memberships].join("");
}

/** LDIF giving a user a certificate the way Dogtag's CI does: `description` = certID and the DER. */
export function userCertificateLdif(uid: string, certId: string, der: Uint8Array<ArrayBuffer>): string {
  // OpenLDAP names the certificate attribute with its ;binary transfer option; 389 DS takes it either way.
  return `dn: uid=${uid},${USERS_DN}\nchangetype: modify\nadd: description\ndescription: ${certId}\n-\n` +
    `add: userCertificate;binary\nuserCertificate;binary:: ${der.toBase64()}\n`;
}
