import { readFileSync } from "node:fs";
import { parseProperties, type PropertiesSyntaxError } from "./properties.ts";

/** The four queries of Dogtag's PKIPostgreSQLRealm, each taking one parameter (`$1` here). */
export interface RealmStatements {
  /** Returns `id`, `full_name`, `password` of the user with this id. */
  getUserByID: string;
  /** Returns `id`, `full_name`, `password` of the user holding the certificate with this certID. */
  getUserByCertID: string;
  /** Returns `data` (DER) of each certificate of the user with this id. */
  getUserCerts: string;
  /** Returns `group_id` of each group of the user with this id. */
  getUserRoles: string;
}

const NAMES = ["getUserByID", "getUserByCertID", "getUserCerts", "getUserRoles"] as const;

/** The statements Dogtag ships, for the tables of its `create.sql`. */
export const DEFAULT_STATEMENTS: RealmStatements = {
  getUserByID: 'SELECT "id", "full_name", "password" FROM "users" WHERE "id" = $1',
  getUserByCertID: 'SELECT u."id", u."full_name", u."password" FROM "users" u JOIN "user_certs" c ' +
    'ON c."user_id" = u."id" WHERE c."cert_id" = $1',
  getUserCerts: 'SELECT "data" FROM "user_certs" WHERE "user_id" = $1',
  getUserRoles: 'SELECT "group_id" FROM "group_members" WHERE "user_id" = $1',
};

/**
 * Turns JDBC's one `?` placeholder into `$1`; a `?` inside a quoted literal or
 * identifier is text. Null when the statement has no placeholder or several.
 */
export function numberedParameter(sql: string): string | null {
  let out = "";
  let quote: string | undefined;
  let placeholders = 0;
  for (const ch of sql) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === "?") {
      placeholders++;
      out += "$1";
      continue;
    }
    out += ch;
  }
  return placeholders === 1 ? out : null;
}

/** Reads a `statements` properties file; each of the four queries must be there with one `?`. */
export function readStatements(path: string): { statements: RealmStatements } | { problem: string } {
  let entries;
  try {
    entries = parseProperties(readFileSync(path, "utf8"));
  } catch (err) {
    const line = (err as PropertiesSyntaxError).line;
    return {
      problem: line === undefined
        ? `cannot read ${path}: ${(err as Error).message}`
        : `${path}:${line}: ${(err as Error).message}`,
    };
  }
  const statements: Partial<RealmStatements> = {};
  for (const name of NAMES) {
    const entry = entries.get(name);
    if (entry === undefined || entry.value.trim() === "") {
      return { problem: `${path} has no "${name}" statement` };
    }
    const sql = numberedParameter(entry.value);
    if (sql === null) {
      return { problem: `${path}:${entry.line}: ${name} must take exactly one "?" parameter` };
    }
    statements[name] = sql;
  }
  return { statements: statements as RealmStatements };
}
