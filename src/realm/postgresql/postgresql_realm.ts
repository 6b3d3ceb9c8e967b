// @ts-types="@types/pg"
import type pg from "pg";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { getLogger } from "@logtape/logtape";
import type { PostgresqlRealmConfig } from "../../config/components.ts";
import type { CertificateIdentity } from "../certificate_identity.ts";
import { withDeadline } from "../deadline.ts";
import type { CheckResult, Principal, Realm } from "../realm.ts";
import { matchesTomcatDigest, tomcatDigest } from "./tomcat_digest.ts";

const log = getLogger(["est", "realm", "postgresql"]);

/** Longer user names are refused without asking the database. */
const MAX_USERNAME_LENGTH = 256;

/** SQLSTATEs a `dbcreate.file` statement may end with on a database that has its tables already. */
const ALREADY_THERE = new Set(["42P07", "42710", "23505"]);

interface UserRow {
  id: string;
  full_name: string | null;
  password: string | null;
}

/** TLS towards the database for a pgjdbc `sslmode`. */
function tlsOptions(config: PostgresqlRealmConfig): ConnectionOptions | false {
  if (config.sslmode === "disable") return false;
  const read = (path: string | undefined) => path === undefined ? undefined : readFileSync(path, "utf8");
  return {
    ca: read(config.sslrootcert),
    cert: read(config.sslcert),
    key: read(config.sslkey),
    rejectUnauthorized: config.sslmode !== "require",
    // verify-ca: the chain, not the name.
    ...(config.sslmode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),
  };
}

/**
 * Dogtag's PKIPostgreSQLRealm: users, their certificates and groups read with
 * the configured statements (parameterised, never concatenated), passwords in
 * Tomcat's MessageDigestCredentialHandler format.
 */
export class PostgresqlRealm implements Realm {
  readonly #config: PostgresqlRealmConfig;
  /** Made on first use: the driver is loaded only where this realm is configured. */
  #pool?: Promise<pg.Pool>;
  readonly #callMs: number;
  /** Stands in for a missing user's password, so an unknown name costs what a known one does. */
  readonly #decoy: string;
  #created?: Promise<void>;

  constructor(config: PostgresqlRealmConfig) {
    this.#config = config;
    this.#callMs = (config.connectTimeout + 2 * config.socketTimeout) * 1000;
    this.#decoy = tomcatDigest(this.#digest, "", randomBytes(16), config["credentialHandler.iterations"]);
  }

  /** The connection pool, made (and the driver loaded) on first use. */
  #connections(): Promise<pg.Pool> {
    this.#pool ??= import("pg").then(({ default: driver }) => this.#newPool(driver));
    return this.#pool;
  }

  #newPool(driver: typeof pg): pg.Pool {
    const config = this.#config;
    const pool = new driver.Pool({
      host: config.url.host,
      port: config.url.port,
      database: config.url.database,
      user: config.user,
      password: config.password,
      ssl: tlsOptions(config),
      max: config.maxConns,
      connectionTimeoutMillis: config.connectTimeout * 1000,
      idleTimeoutMillis: 30_000,
      query_timeout: config.socketTimeout * 1000,
      statement_timeout: config.socketTimeout * 1000,
      application_name: "pki-est-server",
      allowExitOnIdle: true,
    });
    // An idle connection the server dropped is replaced on next use; it must not take the process down.
    pool.on("error", (err) => log.warning("database connection lost: {error}", { error: err.message }));
    return pool;
  }

  get #digest() {
    return {
      algorithm: this.#config["credentialHandler.algorithm"],
      encoding: this.#config["credentialHandler.encoding"],
    };
  }

  authenticate(username: string, password: string): Promise<Principal | null> {
    // PostgreSQL text cannot hold NUL: such a name is nobody's, and must not reach the server as an error.
    if (
      username === "" || password === "" || username.length > MAX_USERNAME_LENGTH || username.includes("\0")
    ) {
      return Promise.resolve(null);
    }
    return this.#within(async () => {
      const user = await this.#one<UserRow>(this.#config.statements.getUserByID, username);
      const matches = matchesTomcatDigest(this.#digest, password, user?.password ?? this.#decoy);
      return user !== undefined && user.password !== null && matches
        ? await this.#principal(user, "password")
        : null;
    });
  }

  authenticateCertificate(certificate: CertificateIdentity): Promise<Principal | null> {
    return this.#within(async () => {
      const user = await this.#one<UserRow>(this.#config.statements.getUserByCertID, certificate.certId);
      if (user === undefined) return null;
      const certs = await this.#query<{ data: Uint8Array | null }>(
        this.#config.statements.getUserCerts,
        user.id,
      );
      const held = certs.some((row) => row.data !== null && Buffer.compare(row.data, certificate.der) === 0);
      return held ? await this.#principal(user, "certificate") : null;
    });
  }

  async health(): Promise<CheckResult> {
    try {
      await this.#within(async () => (await this.#connections()).query("SELECT 1"));
      return { ok: true };
    } catch (err) {
      const { host, port, database } = this.#config.url;
      return { ok: false, detail: `database ${host}:${port}/${database}: ${(err as Error).message}` };
    }
  }

  async close(): Promise<void> {
    if (this.#pool !== undefined) await (await this.#pool).end();
  }

  async #principal(user: UserRow, method: Principal["method"]): Promise<Principal> {
    const rows = await this.#query<{ group_id: string }>(this.#config.statements.getUserRoles, user.id);
    const roles = [...new Set(rows.map((row) => String(row.group_id)))].sort();
    return { name: String(user.id), fullName: user.full_name ?? undefined, roles, method };
  }

  /** Runs `work` once the database is set up, within the call's deadline. */
  async #within<R>(work: () => Promise<R>): Promise<R> {
    return await withDeadline(
      (async () => {
        await this.#setUp();
        return await work();
      })(),
      this.#callMs,
      "the database",
    );
  }

  async #one<R extends pg.QueryResultRow>(sql: string, value: string): Promise<R | undefined> {
    const rows = await this.#query<R>(sql, value);
    return rows.length === 1 ? rows[0] : undefined;
  }

  async #query<R extends pg.QueryResultRow>(sql: string, value: string): Promise<R[]> {
    return (await (await this.#connections()).query<R>(sql, [value])).rows;
  }

  /** Runs `dbcreate.file` once, on first use; a failure is retried on the next call. */
  #setUp(): Promise<void> {
    const file = this.#config["dbcreate.file"];
    if (file === undefined) return Promise.resolve();
    this.#created ??= this.#runCreateScript(file).catch((err) => {
      this.#created = undefined;
      throw err;
    });
    return this.#created;
  }

  async #runCreateScript(file: string): Promise<void> {
    // As Dogtag does: statements split on ";", those finding their objects already there ignored.
    const statements = readFileSync(file, "utf8").split(";").map((s) => s.trim()).filter((s) => s !== "");
    for (const sql of statements) {
      try {
        await (await this.#connections()).query(sql);
      } catch (err) {
        if (!ALREADY_THERE.has((err as { code?: string }).code ?? "")) throw err;
      }
    }
    log.info("ran {file} ({count} statements)", { file, count: statements.length });
  }
}
