import type { Context } from "hono";
import { decodeRequestBody } from "../body_codec.ts";
import { parseCsr, type ParsedCsr } from "../../pki/csr.ts";
import type { EstEnv } from "../env.ts";
import { MEDIA, requireMediaType } from "../media_types.ts";
import { readRequestBody } from "../request_body.ts";
import type { EstRouteSettings } from "../services.ts";

const CSR_PEM_LABELS = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];

/** The request's CSR: media type checked (415), body read within the limit (413), parsed and verified (400). */
export async function readCsr(c: Context<EstEnv>, settings: EstRouteSettings): Promise<ParsedCsr> {
  requireMediaType(c.req.header("content-type"), MEDIA.pkcs10);
  const body = await readRequestBody(c, settings.maxBodyBytes, settings.bodyTimeoutMs);
  const csr = await parseCsr(decodeRequestBody(body, CSR_PEM_LABELS), settings.keyPolicy, settings.crypto);
  c.set("csr", csr);
  return csr;
}
