import type * as Pkijs from "pkijs";
import { loadPkijs } from "../../crypto/active.ts";

/** What a PKCS#12 (PFX) file holds: its certificates and its private key. */
export interface Pkcs12Contents {
  /** DER of each certificate, in file order. */
  certificates: Uint8Array<ArrayBuffer>[];
  /** DER PKCS#8 PrivateKeyInfo. */
  privateKey: Uint8Array<ArrayBuffer>;
}

/**
 * Reads a password-protected PKCS#12 file through pkijs: checks its MAC,
 * decrypts its safes and shrouded key bag. PBES2 (PBKDF2 with AES, OpenSSL
 * 3's default) reads; the legacy RC2/3DES encryption (`openssl pkcs12
 * -legacy`) does not, and says so.
 */
export async function readPkcs12(der: Uint8Array<ArrayBuffer>, password: string): Promise<Pkcs12Contents> {
  // pkijs with the configured crypto provider as its engine (MAC and decryption go through it).
  const pkijs = await loadPkijs();
  const secret = new TextEncoder().encode(password).buffer;
  let pfx: Pkijs.PFX;
  try {
    pfx = pkijs.PFX.fromBER(der);
  } catch {
    throw new Error("not a PKCS#12 file");
  }
  try {
    await pfx.parseInternalValues({ password: secret, checkIntegrity: true });
  } catch (err) {
    throw new Error(`wrong password or damaged file (${(err as Error).message})`);
  }
  const safe = pfx.parsedValue?.authenticatedSafe;
  if (safe === undefined) throw new Error("the PKCS#12 file has no content");
  try {
    await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password: secret })) });
  } catch (err) {
    throw new Error(
      `cannot decrypt the PKCS#12 contents (${(err as Error).message}); ` +
        "a file with legacy RC2/3DES encryption must be exported again with AES (openssl pkcs12 -export)",
    );
  }
  const certificates: Uint8Array<ArrayBuffer>[] = [];
  let privateKey: Uint8Array<ArrayBuffer> | undefined;
  for (const contents of safe.parsedValue?.safeContents ?? []) {
    for (const bag of contents.value.safeBags) {
      const value = bag.bagValue;
      if (value instanceof pkijs.CertBag && value.parsedValue instanceof pkijs.Certificate) {
        certificates.push(new Uint8Array(value.parsedValue.toSchema().toBER(false)));
      } else if (value instanceof pkijs.PKCS8ShroudedKeyBag) {
        const encrypted = new pkijs.EncryptedData({
          encryptedContentInfo: new pkijs.EncryptedContentInfo({
            contentEncryptionAlgorithm: value.encryptionAlgorithm,
            encryptedContent: value.encryptedData,
          }),
        });
        privateKey ??= new Uint8Array(await encrypted.decrypt({ password: secret }));
      } else if (value instanceof pkijs.PrivateKeyInfo) {
        privateKey ??= new Uint8Array(value.toSchema().toBER(false));
      }
    }
  }
  if (privateKey === undefined) throw new Error("the PKCS#12 file holds no private key");
  if (certificates.length === 0) throw new Error("the PKCS#12 file holds no certificate");
  return { certificates, privateKey };
}
