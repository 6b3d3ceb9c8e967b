import type { Context } from "hono";
import { authorizeFullCmc } from "../../authz/enrollment_policy.ts";
import { authenticate, authPolicyFor, authzDataOf } from "../authenticate.ts";
import { decodeRequestBody } from "../body_codec.ts";
import type { EstEnv } from "../env.ts";
import { NotImplementedError } from "../../errors.ts";
import { responseLayout } from "../labels.ts";
import { MEDIA, requireCmcRequestMediaType } from "../media_types.ts";
import { readRequestBody } from "../request_body.ts";
import { base64Response } from "../responses.ts";

const CMC_PEM_LABELS = ["CMS", "PKCS7"];

/**
 * POST /fullcmc: authenticate, read the CMC request (DER or base64), ask the
 * authoriser, forward it to the CA, and answer with the CA's CMC response;
 * the HTTP status follows the CA's CMC status.
 */
export async function fullCmcHandler(c: Context<EstEnv>): Promise<Response> {
  const services = c.get("services");
  const { settings, backend } = services;
  const label = c.get("label");
  const { principal, certificate } = await authenticate(
    c,
    services,
    authPolicyFor(services, c.get("labelPolicy")),
  );
  if (backend.fullCmc === undefined) {
    throw new NotImplementedError("Full CMC (/fullcmc) is not offered by this server's CA backend");
  }
  requireCmcRequestMediaType(c.req.header("content-type"));
  const body = await readRequestBody(c, settings.maxBodyBytes, settings.bodyTimeoutMs);
  const cmcRequest = decodeRequestBody(body, CMC_PEM_LABELS);
  // Loaded on first use: only servers with an upstream CA answer /fullcmc, and it brings pkijs.
  const { checkCmcRequest, httpStatusOfCmcStatus } = await import("../../pki/cmc.ts");
  checkCmcRequest(cmcRequest);
  const authzData = authzDataOf(c, { principal, certificate }, label);
  const requestId = c.get("requestId");
  await authorizeFullCmc({ cmcRequest, authzData, requestId }, services.authorizer);
  const result = await backend.fullCmc(cmcRequest, { ...authzData, requestId });
  return base64Response(
    result.der,
    MEDIA.cmcResponse,
    responseLayout(c.get("labelPolicy"), settings.layout),
    httpStatusOfCmcStatus(result.cmcStatus),
  );
}
