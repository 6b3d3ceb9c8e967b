import * as x509 from "../../pki/x509.ts";
import type { Context } from "hono";
import { equalBytes } from "../../encoding/bytes.ts";
import { BadRequestError, NotImplementedError } from "../../errors.ts";
import { parseCsr } from "../../pki/csr.ts";
import { envelopeKeyFor } from "../../pki/key_envelope.ts";
import { keyProtectionOf } from "../../pki/key_protection.ts";
import { encodeCertsOnly } from "../../pki/pkcs7.ts";
import { generateServerKey, keyGenerationCsr, serverKeyTypeFor } from "../../pki/server_key.ts";
import { issueOrDefer } from "../deferred_issuance.ts";
import type { EstEnv } from "../env.ts";
import { MEDIA } from "../media_types.ts";
import { multipartMixedResponse, type MultipartPart } from "../multipart_response.ts";
import type { EstServices } from "../services.ts";
import { type Enrollment, issueFor, type QuotaGuard } from "./enrollment_issuance.ts";

/**
 * /serverkeygen (RFC 7030 §4.4, RFC 8951): a key pair made here with the
 * configured crypto provider, certified through the backend by a CSR of its
 * own carrying the client's subject and requested extensions, and sent back
 * with the certificate as multipart/mixed: the key first (PKCS#8, or CMS
 * EnvelopedData when the CSR names a key to encrypt it to), then the
 * certs-only PKCS#7. The private key is never stored or logged.
 */
export async function serverKeyGeneration(
  c: Context<EstEnv>,
  services: EstServices,
  enrollment: Enrollment,
  quota: QuotaGuard,
): Promise<Response> {
  const { settings } = services;
  const { csr, labelPolicy } = enrollment;
  const recipient = await keyRecipientOf(enrollment);
  const type = serverKeyTypeFor(
    csr,
    labelPolicy?.csrattrs ?? settings.csrattrs,
    labelPolicy?.serverKeyType,
  );
  const { issued, key } = await quota((recorded) =>
    issueOrDefer(
      { csr, operation: "serverkeygen", ctx: enrollment.ctx, manual: labelPolicy?.approval === "manual" },
      {
        issue: async () => {
          const crypto = settings.crypto;
          const key = await generateServerKey(type, crypto);
          const request = await parseCsr(
            await keyGenerationCsr(csr, key, crypto),
            settings.keyPolicy,
            crypto,
          );
          return { issued: await issueFor(services, enrollment, request, recorded), key };
        },
      },
      settings.deferral,
      services.backend,
    )
  );
  c.set("issued", issued);
  c.set("generatedKey", key.type);
  const keyPart: MultipartPart = recipient === undefined
    ? { contentType: MEDIA.pkcs8, der: key.pkcs8 }
    : { contentType: MEDIA.serverGeneratedKey, der: await envelopeKeyFor(key.pkcs8, recipient) };
  const response = multipartMixedResponse([keyPart, {
    contentType: MEDIA.certsOnly,
    der: encodeCertsOnly([issued.der]),
  }]);
  key.pkcs8.fill(0);
  return response;
}

/**
 * The certificate (DER) to encrypt the key to, when the CSR asks for
 * encryption: the client's TLS certificate, which the
 * AsymmetricDecryptKeyIdentifier must name. Shared symmetric keys are not
 * configurable here, so DecryptKeyIdentifier is refused (501).
 */
async function keyRecipientOf(enrollment: Enrollment): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const protection = keyProtectionOf(enrollment.csr);
  if (protection.kind === "none") return undefined;
  if (protection.kind === "symmetric") {
    throw new NotImplementedError(
      "The CSR asks for the key encrypted with a shared symmetric key (DecryptKeyIdentifier); this server " +
        "has no shared keys. Leave the attribute out (the key then travels in TLS only) or use " +
        "AsymmetricDecryptKeyIdentifier with your TLS client certificate",
    );
  }
  const leaf = enrollment.authenticated.certificate?.leaf;
  if (leaf === undefined) {
    throw new BadRequestError(
      "AsymmetricDecryptKeyIdentifier needs the key's certificate: authenticate with that TLS client certificate",
    );
  }
  if (!await identifies(protection.keyId, leaf)) {
    throw new BadRequestError(
      "AsymmetricDecryptKeyIdentifier does not name the TLS client certificate's key (its subjectKeyIdentifier " +
        "or the SHA-1 of its public key)",
    );
  }
  const algorithm = leaf.publicKey.algorithm.name;
  if (algorithm !== "RSASSA-PKCS1-v1_5" && algorithm !== "ECDSA" && algorithm !== "RSA-PSS") {
    throw new BadRequestError(
      `Cannot encrypt a key to a ${algorithm} certificate; use an RSA or EC certificate`,
    );
  }
  return new Uint8Array(leaf.rawData);
}

async function identifies(keyId: Uint8Array<ArrayBuffer>, leaf: x509.X509Certificate): Promise<boolean> {
  const ski = leaf.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (ski !== undefined && equalBytes(Uint8Array.fromHex(ski), keyId)) return true;
  return equalBytes(new Uint8Array(await leaf.publicKey.getKeyIdentifier("SHA-1", globalThis.crypto)), keyId);
}
