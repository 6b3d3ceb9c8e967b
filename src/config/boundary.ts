/**
 * The configuration boundary: everything `serve` checks before it listens,
 * in one place, so that `check-config` and a reload refuse exactly what a
 * start would. Parses the directory, reads and checks every file it names
 * (TLS certificate and key, trust anchors, CA files, PKCS#12, executables),
 * and returns the settings the server runs on, or throws a ConfigError with
 * every fault found, each with its file and line.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import type { TlsMaterial } from "../tls/tls_material.ts";
import type { BackendConfig } from "./components.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { readCertificateBundle } from "./files/certificate_bundle.ts";
import { executableProblem } from "./files/executable.ts";
import { checkCaFiles } from "./files/local_ca_files.ts";
import { checkServerTls } from "./files/server_tls.ts";
import { type EstConfig, loadConfig } from "./load.ts";
import { type DogtagFiles, type Settings, settingsOf } from "./settings.ts";

/** Collects faults, each located at the key that named the file. */
class Faults {
  readonly issues: ConfigIssue[] = [];
  constructor(private readonly config: EstConfig) {}

  add(key: string, message: string, displayKey = key): void {
    const where = this.config.locations[key] ?? { file: "server.toml" };
    const role = key.split(".")[0];
    const inConf = where.file.endsWith(".conf") && ["backend", "realm", "authorizer"].includes(role);
    this.issues.push({
      file: where.file,
      line: where.line,
      key: inConf ? displayKey.slice(role.length + 1) : displayKey,
      message,
    });
  }

  /** Records the issues of a ConfigError thrown by `check`, each at the key whose file it names. */
  async catching<T>(keysByFile: Record<string, string>, check: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await check();
    } catch (err) {
      const file = Object.keys(keysByFile)[0];
      const issues = err instanceof ConfigError ? err.issues : [{ file, message: (err as Error).message }];
      for (const issue of issues) {
        const key = keysByFile[issue.file] ?? Object.values(keysByFile)[0];
        this.add(
          key,
          issue.file === this.config.locations[key]?.file ? issue.message : `${issue.file}: ${issue.message}`,
        );
      }
      return undefined;
    }
  }
}

/** Reads `dir` and every file it names; the settings to run on, or a ConfigError listing every fault. */
export async function loadSettings(dir: string): Promise<Settings> {
  const config = loadConfig(dir);
  const faults = new Faults(config);
  const tls = serverTls(config, faults);
  const clientCa = config.server.client_ca === undefined
    ? []
    : bundle(config.server.client_ca, "server.client_ca", faults);
  if (config.authorizer.kind === "external-process") {
    const problem = executableProblem(config.authorizer.executable);
    if (problem) faults.add("authorizer.executable", problem);
  }
  checkLabels(config, faults);
  const dogtag = await backendFiles(config.backend, faults);
  if (faults.issues.length > 0) throw new ConfigError(faults.issues);
  return settingsOf(config, { tls, clientCa, dogtag });
}

function serverTls(config: EstConfig, faults: Faults): TlsMaterial | undefined {
  const { tls_cert: certFile, tls_key: keyFile, bind } = config.server;
  if (certFile === undefined || keyFile === undefined) {
    if (config.backend.kind !== "local-ca") {
      faults.add("server.tls_cert", "tls_cert and tls_key are required unless the backend is the local CA");
    }
    return undefined;
  }
  const certPem = readText(certFile, "server.tls_cert", faults);
  const keyPem = readText(keyFile, "server.tls_key", faults);
  if (certPem === undefined || keyPem === undefined) return undefined;
  const check = checkServerTls({ certPem, keyPem }, bind.host);
  if (check.ok) return check.material;
  const [key, file] = check.file === "cert" ? ["server.tls_cert", certFile] : ["server.tls_key", keyFile];
  faults.add(key, `${file}: ${check.reason}`);
  return undefined;
}

function readText(path: string, key: string, faults: Faults): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    faults.add(key, `cannot read ${path}: ${(err as Error).message}`);
    return undefined;
  }
}

function bundle(path: string, key: string, faults: Faults): Uint8Array<ArrayBuffer>[] {
  const read = readCertificateBundle(path);
  if (read.ok) return read.ders;
  faults.add(key, read.reason);
  return [];
}

/** Issuance settings a label may carry depend on who issues: the local CA or an upstream CA's profile. */
function checkLabels(config: EstConfig, faults: Faults): void {
  const upstream = config.backend.kind !== "local-ca";
  for (const [name, label] of Object.entries(config.labels)) {
    for (const key of ["validity_days", "extended_key_usage"] as const) {
      if (upstream && label[key] !== undefined) {
        faults.add(
          `labels.${name}.${key}`,
          'the Dogtag CA\'s profile decides this; give the label a CA profile instead (profile = "...")',
        );
      }
    }
    if (!upstream && label.profile !== undefined) {
      faults.add(
        `labels.${name}.profile`,
        "a CA profile applies to the Dogtag RA backend; the local CA uses validity_days and extended_key_usage",
      );
    }
  }
}

async function backendFiles(backend: BackendConfig, faults: Faults): Promise<DogtagFiles | undefined> {
  if (backend.kind === "local-ca") {
    if (backend.caCertFile !== undefined && backend.caKeyFile !== undefined) {
      const keys: Record<string, string> = {
        [backend.caCertFile]: "backend.caCertFile",
        [backend.caKeyFile]: "backend.caKeyFile",
      };
      if (backend.caChainFile) keys[backend.caChainFile] = "backend.caChainFile";
      await faults.catching(
        keys,
        () => checkCaFiles(backend.caCertFile!, backend.caKeyFile!, backend.caChainFile),
      );
    }
    return undefined;
  }
  const caBundlePem = backend.caBundle === undefined ? undefined : (() => {
    const read = readCertificateBundle(backend.caBundle!);
    if (read.ok) return read.pem;
    faults.add("backend.caBundle", read.reason);
    return undefined;
  })();
  // Loaded only for this backend: PKCS#12 brings pkijs, which the local CA does without.
  const { loadClientIdentity } = await import("../backend/dogtag_ra/client_identity.ts");
  const keys: Record<string, string> = {};
  for (
    const key of ["clientCertFile", "clientKeyFile", "clientPKCS12File", "clientPKCS12PasswordFile"] as const
  ) {
    if (backend[key] !== undefined) keys[backend[key]!] = `backend.${key}`;
  }
  const identity = await faults.catching(keys, () => loadClientIdentity(backend));
  return { identity, caBundlePem };
}
