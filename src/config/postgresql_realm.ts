import { resolve } from "node:path";
import { z } from "zod";
import { readableFile } from "./readable_file.ts";
import { DEFAULT_STATEMENTS, readStatements } from "./sql_statements.ts";
import { boolean, integer, text } from "./values.ts";

/** `jdbc:postgresql://host[:port]/database`, as Dogtag's realm.conf gives it. */
const jdbcUrl = text.transform((value, ctx) => {
  let url: URL | undefined;
  try {
    url = value.startsWith("jdbc:postgresql://") ? new URL(value.slice("jdbc:".length)) : undefined;
  } catch {
    url = undefined;
  }
  const database = url === undefined ? "" : decodeURIComponent(url.pathname.slice(1));
  if (
    url === undefined || url.hostname === "" || database === "" || database.includes("/") || url.hash !== ""
  ) {
    ctx.addIssue({
      code: "custom",
      message:
        "must be jdbc:postgresql://host[:port]/database, such as jdbc:postgresql://db.example.com:5432/est",
    });
    return z.NEVER;
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? 5432 : Number(url.port),
    database,
  };
});

/** Java MessageDigest names Tomcat's MessageDigestCredentialHandler takes, as node:crypto names them. */
const DIGESTS: Record<string, string> = {
  "MD5": "md5",
  "SHA": "sha1",
  "SHA-1": "sha1",
  "SHA-224": "sha224",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

const digestName = text.transform((value, ctx) => {
  const name = DIGESTS[value.toUpperCase()];
  if (name === undefined) {
    ctx.addIssue({ code: "custom", message: `must be one of ${Object.keys(DIGESTS).join(", ")}` });
    return z.NEVER;
  }
  return name;
});

const ENCODINGS: Record<string, "utf8" | "latin1"> = {
  "UTF-8": "utf8",
  "UTF8": "utf8",
  "ISO-8859-1": "latin1",
};

const encodingName = text.transform((value, ctx) => {
  const name = ENCODINGS[value.toUpperCase()];
  if (name === undefined) {
    ctx.addIssue({ code: "custom", message: "must be UTF-8 or ISO-8859-1" });
    return z.NEVER;
  }
  return name;
});

/**
 * JDBC takes connection properties in the URL's query as well as beside it;
 * the ones in the URL are moved beside it (a key given both ways keeps its
 * own value), so both are validated alike.
 */
function urlPropertiesAsKeys(input: unknown): unknown {
  if (typeof input !== "object" || input === null) return input;
  const values = input as Record<string, unknown>;
  if (typeof values.url !== "string" || !values.url.includes("?")) return input;
  const at = values.url.indexOf("?");
  const merged: Record<string, unknown> = { ...values, url: values.url.slice(0, at) };
  for (const [key, value] of new URLSearchParams(values.url.slice(at + 1))) {
    if (!(key in merged)) merged[key] = value;
  }
  return merged;
}

/**
 * Keys of Dogtag's PKIPostgreSQLRealm (`url`, `user`, `password`,
 * `statements`, `dbcreate.file`, `credentialHandler.*`), the pgjdbc
 * connection properties for TLS (`ssl`, `sslmode`, `sslrootcert`, `sslcert`,
 * `sslkey`, PEM files here) and timeouts (`connectTimeout`, `socketTimeout`,
 * seconds), and the pool size `maxConns`.
 */
export function postgresqlRealmSchema(dir: string) {
  return z.preprocess(
    urlPropertiesAsKeys,
    z.strictObject({
      url: jdbcUrl,
      user: text,
      password: text.optional(),
      statements: text.transform((value, ctx) => {
        const read = readStatements(resolve(dir, value));
        if ("problem" in read) {
          ctx.addIssue({ code: "custom", message: read.problem });
          return z.NEVER;
        }
        return read.statements;
      }).default(DEFAULT_STATEMENTS),
      "dbcreate.file": readableFile(dir).optional(),
      "credentialHandler.algorithm": digestName.default("sha512"),
      "credentialHandler.encoding": encodingName.default("utf8"),
      "credentialHandler.iterations": integer(1, 10_000_000).default(1),
      "credentialHandler.saltLength": integer(0, 1024).default(32),
      ssl: boolean.default(false),
      sslmode: z.enum(["disable", "require", "verify-ca", "verify-full"], {
        error: "must be disable, require, verify-ca or verify-full",
      }).optional(),
      sslrootcert: readableFile(dir, "CERTIFICATE").optional(),
      sslcert: readableFile(dir, "CERTIFICATE").optional(),
      sslkey: readableFile(dir, "PRIVATE KEY").optional(),
      connectTimeout: integer(1, 300).default(5),
      socketTimeout: integer(1, 300).default(10),
      maxConns: integer(1, 100).default(4),
    }).superRefine((c, ctx) => {
      if ((c.sslcert === undefined) !== (c.sslkey === undefined)) {
        ctx.addIssue({
          code: "custom",
          message: "sslcert and sslkey must be given together",
          path: [c.sslcert === undefined ? "sslkey" : "sslcert"],
        });
      }
    }).transform(({ ssl, sslmode, ...c }) => ({
      kind: "postgresql" as const,
      ...c,
      // pgjdbc: ssl=true without a mode verifies the server's certificate and name.
      sslmode: sslmode ?? (ssl ? "verify-full" as const : "disable" as const),
    })),
  );
}

export type PostgresqlRealmConfig = z.output<ReturnType<typeof postgresqlRealmSchema>>;
