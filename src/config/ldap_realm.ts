import { z } from "zod";
import { readableFile } from "./readable_file.ts";
import { boolean, integer, text } from "./values.ts";

/** The directory's address: `ldap://host[:port]` or `ldaps://host[:port]`, nothing after the port. */
const ldapUrl = text.transform((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const plain = url !== undefined && (url.protocol === "ldap:" || url.protocol === "ldaps:") &&
    url.hostname !== "" && (url.pathname === "" || url.pathname === "/") && url.search === "" &&
    url.hash === "" && url.username === "" && url.password === "";
  if (!plain) {
    ctx.addIssue({
      code: "custom",
      message: "must be ldap://host[:port] or ldaps://host[:port], such as ldap://ds.example.com:389",
    });
    return z.NEVER;
  }
  return `${url!.protocol}//${url!.host}`;
});

const NICKNAME_REPLACED =
  "NSS nicknames are not supported; export the certificate and key from the NSS database as PEM and give " +
  "them as clientCertFile + clientKeyFile";

/**
 * Keys of Dogtag's PKILDAPRealm (`url`, `authType`, `bindDN`, `bindPassword`,
 * `usersDN`, `groupsDN`, `minConns`, `maxConns`, `maxResults`, `errorIfDown`)
 * plus StartTLS, the directory's CA bundle, PEM client credentials in place of
 * the NSS `nickname`, and timeouts (seconds).
 */
export function ldapRealmSchema(dir: string) {
  return z.strictObject({
    url: ldapUrl,
    authType: z.enum(["BasicAuth", "SslClientAuth"], { error: "must be BasicAuth or SslClientAuth" })
      .default("BasicAuth"),
    bindDN: text.optional(),
    bindPassword: text.optional(),
    nickname: z.never({ error: NICKNAME_REPLACED }).optional(),
    clientCertFile: readableFile(dir, "CERTIFICATE").optional(),
    clientKeyFile: readableFile(dir, "PRIVATE KEY").optional(),
    caBundle: readableFile(dir, "CERTIFICATE").optional(),
    startTLS: boolean.default(false),
    usersDN: text,
    groupsDN: text,
    minConns: integer(0, 100).default(1),
    maxConns: integer(1, 100).default(15),
    maxResults: integer(1, 100000).default(1000),
    errorIfDown: boolean.default(true),
    connectTimeout: integer(1, 300).default(5),
    timeout: integer(1, 300).default(10),
  }).superRefine((c, ctx) => {
    const problem = ldapConsistency(c);
    if (problem) ctx.addIssue({ code: "custom", message: problem.message, path: [problem.key] });
  }).transform(({ nickname: _, ...c }) => ({ kind: "ldap" as const, ...c }));
}

interface LdapKeys {
  url: string;
  authType: "BasicAuth" | "SslClientAuth";
  bindDN?: string;
  bindPassword?: string;
  clientCertFile?: string;
  clientKeyFile?: string;
  startTLS: boolean;
  minConns: number;
  maxConns: number;
}

/** The first combination of keys that cannot work together, if any. */
function ldapConsistency(c: LdapKeys): { key: string; message: string } | undefined {
  const secure = c.url.startsWith("ldaps:");
  if (c.startTLS && secure) return { key: "startTLS", message: "ldaps:// is TLS already; drop startTLS" };
  if ((c.clientCertFile === undefined) !== (c.clientKeyFile === undefined)) {
    return {
      key: c.clientCertFile === undefined ? "clientKeyFile" : "clientCertFile",
      message: "clientCertFile and clientKeyFile must be given together",
    };
  }
  if (c.authType === "SslClientAuth") {
    if (c.clientCertFile === undefined) {
      return { key: "authType", message: "SslClientAuth needs clientCertFile and clientKeyFile" };
    }
    if (!secure && !c.startTLS) {
      return { key: "authType", message: "SslClientAuth needs an ldaps:// url or startTLS=true" };
    }
  } else if ((c.bindDN === undefined) !== (c.bindPassword === undefined)) {
    return {
      key: c.bindDN === undefined ? "bindPassword" : "bindDN",
      message: "bindDN and bindPassword must be given together (neither for anonymous searches)",
    };
  }
  if (c.minConns > c.maxConns) return { key: "minConns", message: "must not exceed maxConns" };
  return undefined;
}

export type LdapRealmConfig = z.output<ReturnType<typeof ldapRealmSchema>>;
