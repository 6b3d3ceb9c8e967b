import { join } from "node:path";
import { runOk } from "./tools.ts";

/** Test PKI material made with the real openssl binary, in a temporary directory. */

export interface KeyAndCsr {
  keyPath: string;
  csrDer: Uint8Array<ArrayBuffer>;
  csrPem: string;
}

/** Key specs as openssl -newkey takes them. */
export type KeySpec =
  | "ec:P-256"
  | "ec:P-384"
  | "ec:secp256k1"
  | "ec:brainpoolP256r1"
  | "rsa:1024"
  | "rsa:2048"
  | "ed25519";

function newkeyArgs(spec: KeySpec): string[] {
  if (spec.startsWith("ec:")) return ["-newkey", "ec", "-pkeyopt", `ec_paramgen_curve:${spec.slice(3)}`];
  return ["-newkey", spec];
}

/** A fresh key and CSR for `subject` (openssl -subj syntax), with optional SAN and extra -addext values. */
export async function makeCsr(
  dir: string,
  subject: string,
  options: { san?: string; key?: KeySpec; digest?: string; keyPath?: string; multivalue?: boolean } = {},
): Promise<KeyAndCsr> {
  const keyPath = options.keyPath ?? join(dir, `${crypto.randomUUID()}.key.pem`);
  const args = ["req", "-new", "-nodes", "-subj", subject, "-outform", "PEM"];
  if (options.keyPath) args.push("-key", options.keyPath);
  else args.push(...newkeyArgs(options.key ?? "ec:P-256"), "-keyout", keyPath);
  if (options.san) args.push("-addext", `subjectAltName=${options.san}`);
  if (options.digest) args.push(`-${options.digest}`);
  if (options.multivalue) args.push("-multivalue-rdn");
  const pem = (await runOk("openssl", args)).text;
  const der = (await runOk("openssl", ["req", "-outform", "DER"], pem)).stdout;
  return { keyPath, csrDer: der, csrPem: pem };
}

/** Writes `data` under `dir` and returns its path. */
export async function writeTemp(
  dir: string,
  name: string,
  data: string | Uint8Array<ArrayBuffer>,
): Promise<string> {
  const path = join(dir, name);
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
  return path;
}

/** A new P-256 private key (PKCS#8 PEM) at `path`, made by openssl. */
export async function makeEcKey(path: string): Promise<void> {
  await runOk("openssl", [
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    path,
  ]);
}

/** A CA made by openssl: self-signed root, or signed by `parent`. */
export type OpensslCa = CertAndKey;

/** Makes a CA certificate (v3, CA:true, keyCertSign) with openssl. */
export async function makeOpensslCa(dir: string, name: string, parent?: OpensslCa): Promise<OpensslCa> {
  const keyPath = join(dir, `${name}.key.pem`);
  const certPath = join(dir, `${name}.cert.pem`);
  const ext = join(dir, `${name}.ext`);
  await Deno.writeTextFile(
    ext,
    "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n",
  );
  await makeEcKey(keyPath);
  if (parent === undefined) {
    await runOk("openssl", [
      "req",
      "-x509",
      "-new",
      "-key",
      keyPath,
      "-subj",
      `/CN=${name}`,
      "-days",
      "30",
      "-out",
      certPath,
      "-addext",
      "basicConstraints=critical,CA:true",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
  } else {
    const csr = join(dir, `${name}.csr`);
    await runOk("openssl", ["req", "-new", "-key", keyPath, "-subj", `/CN=${name}`, "-out", csr]);
    await runOk("openssl", [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      parent.certPath,
      "-CAkey",
      parent.keyPath,
      "-CAcreateserial",
      "-days",
      "30",
      "-extfile",
      ext,
      "-out",
      certPath,
    ]);
  }
  return { certPath, keyPath };
}

/** Base64 (single line) of DER, as EST clients send it. */
export function b64(der: Uint8Array<ArrayBuffer>): string {
  return der.toBase64();
}

/** A certificate and its key on disk. */
export interface CertAndKey {
  certPath: string;
  keyPath: string;
}

/** A self-signed P-256 certificate from `openssl req -x509`, with `-addext` values (v3). */
export async function makeSelfSigned(
  dir: string,
  subject: string,
  addext: string[] = [],
  keyPath?: string,
): Promise<CertAndKey> {
  const certPath = join(dir, `${crypto.randomUUID()}.crt`);
  const key = keyPath ?? join(dir, `${crypto.randomUUID()}.key`);
  const keyArgs = keyPath
    ? ["-key", keyPath]
    : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key];
  const args = ["req", "-x509", ...keyArgs, "-subj", subject, "-days", "5", "-out", certPath];
  for (const ext of addext) args.push("-addext", ext);
  await runOk("openssl", args);
  return { certPath, keyPath: key };
}

/**
 * A certificate for `subject` signed by an openssl CA. `ext` holds extension
 * lines (empty for a version 1 certificate); `extra` more `openssl x509` options.
 */
export async function issueFromCa(
  dir: string,
  ca: CertAndKey,
  subject: string,
  options: { ext?: string; extra?: string[] } = {},
): Promise<CertAndKey & { der: Uint8Array<ArrayBuffer> }> {
  const ext = options.ext ?? "basicConstraints=CA:false\nextendedKeyUsage=clientAuth\n";
  const { csrPem, keyPath } = await makeCsr(dir, subject);
  const csrPath = await writeTemp(dir, `${crypto.randomUUID()}.csr`, csrPem);
  const certPath = join(dir, `${crypto.randomUUID()}.crt`);
  const args = ["x509", "-req", "-in", csrPath, "-CA", ca.certPath, "-CAkey", ca.keyPath, "-CAcreateserial"];
  args.push("-days", "2", "-out", certPath, ...(options.extra ?? []));
  if (ext !== "") args.push("-extfile", await writeTemp(dir, `${crypto.randomUUID()}.ext`, ext));
  await runOk("openssl", args);
  const der = (await runOk("openssl", ["x509", "-in", certPath, "-outform", "DER"])).stdout;
  return { certPath, keyPath, der };
}

/**
 * A renewal CSR the way EST clients build one: the subject copied from the
 * certificate byte for byte (`openssl x509 -x509toreq`), signed by a new key
 * unless `keyPath` names the old one.
 */
export async function renewalCsr(dir: string, certPath: string, keyPath?: string): Promise<KeyAndCsr> {
  const key = keyPath ?? join(dir, `${crypto.randomUUID()}.key.pem`);
  if (keyPath === undefined) {
    await makeEcKey(key);
  }
  const pem = (await runOk("openssl", ["x509", "-x509toreq", "-in", certPath, "-key", key])).text;
  const der = (await runOk("openssl", ["req", "-outform", "DER"], pem)).stdout;
  return { keyPath: key, csrDer: der, csrPem: pem };
}

/** DER of a CSR for CN=alice over a new RSA key of `bits` bits and public exponent `exponent` (openssl). */
export async function rsaCsr(dir: string, bits: number, exponent: number): Promise<Uint8Array<ArrayBuffer>> {
  const key = join(dir, `rsa-${bits}-${exponent}-${crypto.randomUUID()}.pem`);
  await runOk("openssl", [
    "genpkey",
    "-algorithm",
    "RSA",
    "-pkeyopt",
    `rsa_keygen_bits:${bits}`,
    "-pkeyopt",
    `rsa_keygen_pubexp:${exponent}`,
    "-out",
    key,
  ]);
  return (await runOk("openssl", ["req", "-new", "-key", key, "-subj", "/CN=alice", "-outform", "DER"]))
    .stdout;
}
