/**
 * HTTPS requests to an EST server through node:https, which (unlike fetch)
 * presents a client certificate and can skip verification for the bootstrap
 * /cacerts call. Response bodies are bounded; every request has a timeout.
 *
 * @module
 */
import { request } from "node:https";
import type { IncomingMessage } from "node:http";
import { concatChunks } from "../encoding/bytes.ts";
import { ClientFailure } from "./errors.ts";

/** How to reach and trust the server, and how to prove who we are. */
export interface Connection {
  /** The server's origin, e.g. https://127.0.0.1:8443. */
  origin: URL;
  /** PEM trust anchors; undefined means the runtime's default store. */
  ca?: string;
  /** Skip server verification (only for the bootstrap /cacerts fetch). */
  insecure?: boolean;
  /** PEM client certificate (chain) and key for TLS client authentication. */
  clientCert?: { cert: string; key: string };
  /** HTTP Basic credentials. */
  basic?: { user: string; password: string };
  /** Milliseconds allowed per request. */
  timeoutMs: number;
}

/** One request: method, path under the origin, optional body. */
export interface HttpRequest {
  method: "GET" | "POST";
  path: string;
  body?: string;
  contentType?: string;
}

/** A complete response, body bounded by MAX_RESPONSE_BYTES. */
export interface HttpResponse {
  status: number;
  headers: Readonly<Record<string, string | undefined>>;
  body: Uint8Array<ArrayBuffer>;
}

/** No EST answer is anywhere near this; a larger one is refused rather than buffered. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Sends `req` over `conn` and reads the whole response. */
export function send(conn: Connection, req: HttpRequest): Promise<HttpResponse> {
  const headers: Record<string, string> = { "Accept": "*/*" };
  if (conn.basic) {
    const token = new TextEncoder().encode(`${conn.basic.user}:${conn.basic.password}`).toBase64();
    headers["Authorization"] = `Basic ${token}`;
  }
  const body = req.body === undefined ? undefined : new TextEncoder().encode(req.body);
  if (body) {
    headers["Content-Type"] = req.contentType ?? "application/octet-stream";
    headers["Content-Length"] = String(body.byteLength);
  }
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(networkFailure(conn.origin, err));
    const clientRequest = request({
      host: conn.origin.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: conn.origin.port || 443,
      path: req.path,
      method: req.method,
      headers,
      ca: conn.ca,
      cert: conn.clientCert?.cert,
      key: conn.clientCert?.key,
      rejectUnauthorized: conn.insecure !== true,
      agent: false,
    }, (res) => readResponse(res, conn.timeoutMs).then(resolve, fail));
    clientRequest.setTimeout(conn.timeoutMs, () => {
      clientRequest.destroy(new Error(`no answer within ${conn.timeoutMs / 1000} s`));
    });
    clientRequest.on("error", fail);
    clientRequest.end(body);
  });
}

function readResponse(res: IncomingMessage, timeoutMs: number): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const timer = setTimeout(() => res.destroy(new Error("the response body took too long")), timeoutMs);
    res.on("data", (chunk: Uint8Array) => {
      size += chunk.byteLength;
      if (size > MAX_RESPONSE_BYTES) {
        res.destroy(new Error(`the response is larger than ${MAX_RESPONSE_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    res.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    res.on("end", () => {
      clearTimeout(timer);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      resolve({ status: res.statusCode ?? 0, headers, body: concatChunks(chunks) });
    });
  });
}

function networkFailure(origin: URL, err: Error): ClientFailure {
  const code = (err as { code?: string }).code;
  const detail = code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  return new ClientFailure(`cannot talk to ${origin.origin}: ${detail}`);
}
