import { join } from "node:path";
import { makeEcKey, writeTemp } from "./pki.ts";
import { runOk } from "./tools.ts";

/** A client certificate chain on disk (leaf first) with the leaf's key, for curl --cert/--key. */
export interface HostileChain {
  /** PEM of every certificate, leaf first, as the client presents them. */
  chainPath: string;
  keyPath: string;
  /** DER of each certificate in the order presented. */
  ders: Uint8Array<ArrayBuffer>[];
}

const CA_EXT = "basicConstraints=critical,CA:true\nkeyUsage=critical,digitalSignature,keyCertSign\n" +
  "extendedKeyUsage=clientAuth\n";

async function selfSigned(dir: string, keyPath: string, subject: string): Promise<string> {
  const path = join(dir, `${crypto.randomUUID()}.self.pem`);
  await runOk("openssl", ["req", "-x509", "-key", keyPath, "-subj", subject, "-days", "5", "-out", path]);
  return path;
}

/** Signs `subject`'s key with `issuerKey` under `issuerCert`'s name (openssl x509 -req). */
async function crossSign(
  dir: string,
  subject: string,
  subjectKey: string,
  issuerCert: string,
  issuerKey: string,
): Promise<string> {
  const csr = join(dir, `${crypto.randomUUID()}.csr`);
  await runOk("openssl", ["req", "-new", "-key", subjectKey, "-subj", subject, "-out", csr]);
  const out = join(dir, `${crypto.randomUUID()}.pem`);
  const ext = await writeTemp(dir, `${crypto.randomUUID()}.ext`, CA_EXT);
  const serial = `0x${crypto.getRandomValues(new Uint8Array(8)).toHex().replace(/^./, "4")}`;
  await runOk("openssl", [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    issuerCert,
    "-CAkey",
    issuerKey,
    "-set_serial",
    serial,
    "-days",
    "5",
    "-extfile",
    ext,
    "-out",
    out,
  ]);
  return out;
}

async function derOf(pemPath: string): Promise<Uint8Array<ArrayBuffer>> {
  return (await runOk("openssl", ["x509", "-in", pemPath, "-outform", "DER"])).stdout;
}

/**
 * Two certificates that issue each other: A (subject CN=`name`-A) is signed
 * by B's key under B's name, and B by A's key under A's name. The chain
 * presented is A, B repeated `repeat` times.
 */
export async function issuingLoop(dir: string, name: string, repeat = 1): Promise<HostileChain> {
  const aKey = join(dir, `${name}-a.key`);
  const bKey = join(dir, `${name}-b.key`);
  await makeEcKey(aKey);
  await makeEcKey(bKey);
  const aSubject = `/CN=${name}-A`;
  const bSubject = `/CN=${name}-B`;
  const a = await crossSign(dir, aSubject, aKey, await selfSigned(dir, bKey, bSubject), bKey);
  const b = await crossSign(dir, bSubject, bKey, await selfSigned(dir, aKey, aSubject), aKey);
  const pair = [await Deno.readTextFile(a), await Deno.readTextFile(b)];
  const chainPath = await writeTemp(dir, `${name}-loop.pem`, pair.join("").repeat(repeat));
  const ders = [await derOf(a), await derOf(b)];
  return { chainPath, keyPath: aKey, ders: Array.from({ length: repeat }, () => ders).flat() };
}
