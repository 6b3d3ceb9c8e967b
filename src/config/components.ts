/**
 * The pluggable components (backend, realm, authorizer): the class names that
 * select them (Dogtag's and our aliases) and the schema of each one's keys.
 * Keys keep Dogtag's spelling so its `.conf` files load unchanged.
 *
 * @module
 */

import { resolve } from "node:path";
import { z } from "zod";
import { type LdapRealmConfig, ldapRealmSchema } from "./ldap_realm.ts";
import { readPasswordFile } from "./password_file.ts";
import { type PostgresqlRealmConfig, postgresqlRealmSchema } from "./postgresql_realm.ts";
import { extendedKeyUsages } from "./schema.ts";
import { boolean, integer, stringList, text } from "./values.ts";

export type ComponentRole = "backend" | "realm" | "authorizer";

/** Key types the local CA can generate for itself and for the server's TLS certificate. */
export const CA_KEY_TYPES = ["P-256", "P-384", "RSA-2048", "RSA-3072", "RSA-4096"] as const;
export type CaKeyType = typeof CA_KEY_TYPES[number];

const filePath = (dir: string) => text.transform((p) => resolve(dir, p));

function localCaSchema(dir: string) {
  return z.strictObject({
    keyType: z.enum(CA_KEY_TYPES, { error: `must be one of ${CA_KEY_TYPES.join(", ")}` })
      .default("P-256"),
    subject: text.default("CN=EST Local CA"),
    caValidityDays: integer(1, 36500).default(3650),
    caCertFile: filePath(dir).optional(),
    caKeyFile: filePath(dir).optional(),
    caChainFile: filePath(dir).optional(),
    validityDays: integer(1, 36500).default(90),
    extendedKeyUsage: extendedKeyUsages.default(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]),
    minRsaBits: integer(2048, 16384).default(2048),
    minRsaExponent: integer(3, 65537).refine((n) => n % 2 === 1, { message: "must be odd" }).default(65537),
  }).refine((c) => (c.caCertFile === undefined) === (c.caKeyFile === undefined), {
    message: "caCertFile and caKeyFile must be given together",
    path: ["caCertFile"],
  }).refine((c) => c.caChainFile === undefined || c.caCertFile !== undefined, {
    message: "caChainFile needs caCertFile and caKeyFile",
    path: ["caChainFile"],
  }).transform((c) => ({ kind: "local-ca" as const, ...c }));
}

const NICKNAME_REPLACED =
  "NSS nicknames are not supported; export the certificate and key from the NSS database and give them as " +
  "clientCertFile + clientKeyFile (PEM) or clientPKCS12File + clientPKCS12PasswordFile (PKCS#12)";

/** The CA's base URL: https, no path, query or credentials; kept as its origin. */
const caBaseUrl = text.transform((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== "https:") {
    ctx.addIssue({ code: "custom", message: `must be an https:// URL such as https://ca.example.com:8443` });
    return z.NEVER;
  }
  if (
    url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== ""
  ) {
    ctx.addIssue({
      code: "custom",
      message: "must be the CA's base URL (https://host:port), without a path",
    });
    return z.NEVER;
  }
  return url.origin;
});

function dogtagRaSchema(dir: string) {
  return z.strictObject({
    url: caBaseUrl,
    profile: text,
    "fullcmc.profile": text.optional(),
    username: text.optional(),
    password: text.optional(),
    passwordFile: filePath(dir).optional(),
    nickname: z.never({ error: NICKNAME_REPLACED }).optional(),
    clientCertFile: filePath(dir).optional(),
    clientKeyFile: filePath(dir).optional(),
    clientPKCS12File: filePath(dir).optional(),
    clientPKCS12PasswordFile: filePath(dir).optional(),
    caBundle: filePath(dir).optional(),
    timeout: integer(1, 600).default(30),
    /** Approve requests the CA leaves pending as its agent (Dogtag's behaviour); false leaves them to the CA's agents. */
    autoApprove: boolean.default(true),
  }).superRefine((c, ctx) => {
    const pair = (a: keyof typeof c, b: keyof typeof c) => {
      if ((c[a] === undefined) === (c[b] === undefined)) return;
      ctx.addIssue({ code: "custom", message: `${a} and ${b} must be given together`, path: [c[a] ? a : b] });
    };
    pair("clientCertFile", "clientKeyFile");
    pair("clientPKCS12File", "clientPKCS12PasswordFile");
    if (c.clientCertFile !== undefined && c.clientPKCS12File !== undefined) {
      ctx.addIssue({
        code: "custom",
        message:
          "give the client certificate either as PEM (clientCertFile) or as PKCS#12 (clientPKCS12File)",
        path: ["clientPKCS12File"],
      });
    }
  }).transform((c, ctx) => {
    // As in Dogtag, passwordFile wins over password.
    let password = c.password;
    if (c.passwordFile !== undefined) {
      const read = readPasswordFile(c.passwordFile);
      if ("problem" in read) {
        ctx.addIssue({ code: "custom", message: read.problem, path: ["passwordFile"] });
        return z.NEVER;
      }
      password = read.password;
    }
    if ((c.username === undefined) !== (password === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "username and password (or passwordFile) must be given together",
        path: [c.username === undefined ? (c.passwordFile ? "passwordFile" : "password") : "username"],
      });
      return z.NEVER;
    }
    const { nickname: _, ...rest } = c;
    return { kind: "dogtag-ra" as const, ...rest, password };
  });
}

function inMemoryRealmSchema() {
  return z.strictObject({
    username: text,
    password: text,
    roles: stringList.default(["Administrators"]),
    fullName: text.default("Administrator"),
    demo: boolean.default(false),
  }).transform((c) => ({ kind: "in-memory" as const, ...c }));
}

function externalProcessSchema(dir: string) {
  return z.strictObject({
    executable: filePath(dir),
    timeout: integer(1, 3600).default(3),
    enrollMatchTLSSubjSAN: boolean.default(true),
    /** Authoriser processes running at once; more requests queue. */
    maxConcurrent: integer(1, 1024).default(8),
    /** Requests waiting for a process; more get 503 with Retry-After. */
    maxQueued: integer(0, 100_000).default(64),
  }).transform((c) => ({ kind: "external-process" as const, ...c }));
}

function identityOnlySchema() {
  return z.strictObject({
    enrollMatchTLSSubjSAN: boolean.default(true),
  }).transform((c) => ({ kind: "none" as const, ...c }));
}

export type LocalCaConfig = z.output<ReturnType<typeof localCaSchema>>;
export type DogtagRaConfig = z.output<ReturnType<typeof dogtagRaSchema>>;
export type InMemoryRealmConfig = z.output<ReturnType<typeof inMemoryRealmSchema>>;
export type ExternalProcessConfig = z.output<ReturnType<typeof externalProcessSchema>>;
export type IdentityOnlyConfig = z.output<ReturnType<typeof identityOnlySchema>>;

export type BackendConfig = LocalCaConfig | DogtagRaConfig;
export type RealmConfig = InMemoryRealmConfig | LdapRealmConfig | PostgresqlRealmConfig;
export type { LdapRealmConfig, PostgresqlRealmConfig };
export type AuthorizerConfig = ExternalProcessConfig | IdentityOnlyConfig;

interface ComponentClass {
  role: ComponentRole;
  names: readonly string[];
  schema: (dir: string) => z.ZodType<unknown, unknown>;
}

const CLASSES: readonly ComponentClass[] = [
  { role: "backend", names: ["local-ca"], schema: localCaSchema },
  { role: "backend", names: ["org.dogtagpki.est.DogtagRABackend", "dogtag-ra"], schema: dogtagRaSchema },
  {
    role: "realm",
    names: ["com.netscape.cms.realm.PKIInMemoryRealm", "in-memory"],
    schema: inMemoryRealmSchema,
  },
  { role: "realm", names: ["com.netscape.cms.realm.PKILDAPRealm", "ldap"], schema: ldapRealmSchema },
  {
    role: "realm",
    names: ["com.netscape.cms.realm.PKIPostgreSQLRealm", "postgresql"],
    schema: postgresqlRealmSchema,
  },
  {
    role: "authorizer",
    names: ["org.dogtagpki.est.ExternalProcessRequestAuthorizer", "external-process"],
    schema: externalProcessSchema,
  },
];

/** The schema a component's keys must satisfy, or an error message naming what is wrong with `cls`. */
export function componentSchema(
  role: ComponentRole,
  cls: string | undefined,
  dir: string,
): z.ZodType<unknown, unknown> | string {
  if (cls === undefined) {
    return role === "authorizer" ? identityOnlySchema() : `a "class" key is required`;
  }
  const known = CLASSES.find((c) => c.role === role && c.names.includes(cls));
  if (known === undefined) {
    const names = CLASSES.filter((c) => c.role === role).flatMap((c) => c.names);
    return `unknown ${role} class "${cls}"; expected one of ${names.join(", ")}`;
  }
  return known.schema(dir);
}

/** The default backend when neither server.toml nor backend.conf names one. */
export function defaultBackend(dir: string): BackendConfig {
  return localCaSchema(dir).parse({});
}

/** The default authorizer: no external process, identity rules on. */
export function defaultAuthorizer(): AuthorizerConfig {
  return identityOnlySchema().parse({});
}

/** The classes a role accepts, each as its names: Dogtag's class name (when it has one), then aliases. */
export function componentClasses(role: ComponentRole): readonly (readonly string[])[] {
  return CLASSES.filter((c) => c.role === role).map((c) => c.names);
}
