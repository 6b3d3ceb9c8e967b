import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listenPlainHttp, type PlainHttpListener } from "../ops/plain_http_listener.ts";
import type { PublishedCrl } from "../backend/local_ca/crl_publisher.ts";
import { MAX_OCSP_REQUEST_BYTES, type OcspAnswer } from "../backend/local_ca/ocsp_responder.ts";
import { concatChunks } from "../encoding/bytes.ts";
import { essence } from "../encoding/media_type.ts";
import type { OcspResponseCache } from "./ocsp_response_cache.ts";

/** What the publishing listener serves. */
export interface Publications {
  crl(): PublishedCrl;
  ocsp(request: Uint8Array<ArrayBuffer>): Promise<OcspAnswer>;
  /** Where answers to GET requests are kept. */
  ocspCache: OcspResponseCache;
}

/** A running publishing listener. */
export type PublishListener = PlainHttpListener;

const CRL_TYPE = "application/pkix-crl";
const OCSP_REQUEST_TYPE = "application/ocsp-request";
const OCSP_RESPONSE_TYPE = "application/ocsp-response";
/** A GET path carries the request base64-encoded (and URL-encoded): this many characters at most. */
const MAX_GET_PATH = Math.ceil(MAX_OCSP_REQUEST_BYTES / 3) * 4 * 3;

/**
 * Serves the CA's revocation information over plain HTTP (relying parties
 * fetch CRLs and OCSP without TLS, RFC 5280 §4.2.1.13, RFC 6960 App. A):
 * `GET /crl` (DER) and OCSP by `POST /ocsp` and `GET /ocsp/<base64>`.
 */
export async function startPublishListener(
  host: string,
  port: number,
  publications: Publications,
): Promise<PublishListener> {
  const server: Server = createServer((req, res) => {
    route(req, res, publications).catch(() => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end();
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return await listenPlainHttp(server, host, port);
}

async function route(req: IncomingMessage, res: ServerResponse, publications: Publications): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/crl") {
    if (!allow(req, res, ["GET", "HEAD"])) return;
    return serveCrl(req, res, publications.crl());
  }
  if (path === "/ocsp" || path === "/ocsp/") {
    if (!allow(req, res, ["POST"])) return;
    return await serveOcspPost(req, res, publications);
  }
  if (path.startsWith("/ocsp/")) {
    if (!allow(req, res, ["GET", "HEAD"])) return;
    return await serveOcspGet(req, res, path.slice("/ocsp/".length), publications);
  }
  plain(res, 404, "Not found");
}

function allow(req: IncomingMessage, res: ServerResponse, methods: string[]): boolean {
  if (methods.includes(req.method ?? "")) return true;
  res.setHeader("Allow", methods.join(", "));
  plain(res, 405, "Method not allowed");
  return false;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" }).end(`${text}\n`);
}

/** True when the request's validators show the client holds the current representation. */
function notModified(req: IncomingMessage, etag: string, lastModified: Date): boolean {
  const ifNoneMatch = req.headers["if-none-match"];
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch.split(",").map((t) => t.trim().replace(/^W\//, "")).some((t) =>
      t === etag || t === "*"
    );
  }
  const since = Date.parse(req.headers["if-modified-since"] ?? "");
  return !Number.isNaN(since) && since >= lastModified.getTime();
}

function serveCrl(req: IncomingMessage, res: ServerResponse, crl: PublishedCrl): void {
  const headers = {
    "ETag": crl.etag,
    "Last-Modified": crl.thisUpdate.toUTCString(),
    "Expires": crl.nextUpdate.toUTCString(),
    // Revalidated on each use (cheap with the ETag), so a new CRL is seen as soon as it is out.
    "Cache-Control": "public, no-cache",
  };
  if (notModified(req, crl.etag, crl.thisUpdate)) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, "Content-Type": CRL_TYPE, "Content-Length": crl.der.byteLength });
  res.end(req.method === "HEAD" ? undefined : crl.der);
}

async function serveOcspPost(req: IncomingMessage, res: ServerResponse, publications: Publications) {
  if (essence(req.headers["content-type"]) !== OCSP_REQUEST_TYPE) {
    req.resume();
    return plain(res, 415, `Content-Type must be ${OCSP_REQUEST_TYPE}`);
  }
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_OCSP_REQUEST_BYTES) return tooLarge(req, res);
  const body = await readBody(req, MAX_OCSP_REQUEST_BYTES);
  if (body === undefined) return tooLarge(req, res);
  const answer = await publications.ocsp(body);
  res.writeHead(200, {
    "Content-Type": OCSP_RESPONSE_TYPE,
    "Content-Length": answer.der.byteLength,
    "Cache-Control": "no-store",
  }).end(answer.der);
}

function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(413, { "Content-Type": "text/plain; charset=utf-8", "Connection": "close" })
    .end("OCSP request too large\n");
  req.destroy();
}

/** The body, or undefined once it passes `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Uint8Array).byteLength;
    if (size > limit) return undefined;
    chunks.push(chunk as Uint8Array);
  }
  return concatChunks(chunks);
}

/** The request of a GET path: base64 (or base64url), URL-encoded; undefined when it is not. */
function decodeGetPath(encoded: string): Uint8Array<ArrayBuffer> | undefined {
  if (encoded.length === 0 || encoded.length > MAX_GET_PATH) return undefined;
  try {
    const text = decodeURIComponent(encoded).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.fromBase64(text) as Uint8Array<ArrayBuffer>;
  } catch {
    return undefined;
  }
}

async function serveOcspGet(
  req: IncomingMessage,
  res: ServerResponse,
  encoded: string,
  publications: Publications,
): Promise<void> {
  const key = decodeGetPath(encoded);
  const cacheKey = key?.toBase64();
  let cached = cacheKey === undefined ? undefined : publications.ocspCache.get(cacheKey);
  if (cached === undefined) {
    const answer = await publications.ocsp(key ?? new Uint8Array(0));
    if (!answer.cacheable || cacheKey === undefined) {
      res.writeHead(200, {
        "Content-Type": OCSP_RESPONSE_TYPE,
        "Content-Length": answer.der.byteLength,
        "Cache-Control": "no-store",
      });
      res.end(req.method === "HEAD" ? undefined : answer.der);
      return;
    }
    cached = publications.ocspCache.put(cacheKey, answer.der, answer.producedAt!, answer.nextUpdate!);
  }
  const maxAge = Math.max(0, Math.floor((cached.expiresAt - Date.now()) / 1000));
  const headers = {
    "ETag": cached.etag,
    "Last-Modified": cached.producedAt.toUTCString(),
    "Expires": new Date(cached.expiresAt).toUTCString(),
    "Cache-Control": `max-age=${maxAge}, public, no-transform, must-revalidate`,
  };
  if (notModified(req, cached.etag, cached.producedAt)) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, {
    ...headers,
    "Content-Type": OCSP_RESPONSE_TYPE,
    "Content-Length": cached.der.byteLength,
  });
  res.end(req.method === "HEAD" ? undefined : cached.der);
}
