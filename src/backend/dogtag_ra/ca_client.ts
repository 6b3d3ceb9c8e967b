/**
 * The HTTP client towards the Dogtag CA: one keep-alive connection pool for
 * the life of the backend (Dogtag opens a new client per EST request),
 * a deadline on every exchange, bounded retries of idempotent GETs, HTTP
 * Basic that answers a challenge and then stays pre-emptive, and one
 * observation per exchange for latency metrics.
 *
 * fetch with Deno.createHttpClient rather than node:https: its pool is
 * native, and AbortSignal deadlines hold on reused connections (the node:http
 * client's `timeout` does not fire on a reused socket in Deno 2.9).
 *
 * @module
 */

import { readBounded } from "../../encoding/bounded_stream.ts";

/** Called once per HTTP exchange with the CA: the call's name, its duration, and whether the CA answered below 500. */
export type CaCallObserver = (call: string, seconds: number, ok: boolean) => void;

/** How to reach and authenticate to the CA. */
export interface CaClientOptions {
  /** https://host:port */
  baseUrl: string;
  /** Deadline of one exchange: connect, send, and read the whole response. */
  timeoutMs: number;
  /** PEM trust anchors for the CA's TLS certificate (added to the runtime's roots). */
  caBundlePem?: string;
  /** TLS client certificate chain and PKCS#8 key, PEM. */
  identity?: { certPem: string; keyPem: string };
  credentials?: { username: string; password: string };
  observe?: CaCallObserver;
  /** Attempts for a GET (first try included) and the first back-off delay, doubled each time. */
  retry?: { attempts: number; baseDelayMs: number };
  /** Largest response body accepted. */
  maxResponseBytes?: number;
}

/** One exchange with the CA. */
export interface CaRequest {
  /** Name of the call for logs and metrics ("login", "submit", ...). */
  call: string;
  method: "GET" | "POST";
  /** Path and query under the base URL, e.g. "/ca/v2/account/login". */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** Shorter deadline than the client's (health probes). */
  timeoutMs?: number;
  /** GETs are retried unless this is false; POSTs never are. */
  retry?: boolean;
}

/** What the CA answered. */
export interface CaResponse {
  status: number;
  headers: Headers;
  body: Uint8Array<ArrayBuffer>;
}

/** No HTTP answer from the CA: refused, reset, TLS failure, or no answer before the deadline. */
export class CaUnreachableError extends Error {
  constructor(readonly call: string, readonly timedOut: boolean, cause: unknown) {
    super(
      timedOut
        ? `the CA did not answer ${call} in time`
        : `cannot reach the CA for ${call}: ${causeText(cause)}`,
      { cause },
    );
    this.name = "CaUnreachableError";
  }
}

function causeText(cause: unknown): string {
  const inner = (cause as { cause?: unknown })?.cause;
  return inner instanceof Error ? inner.message : cause instanceof Error ? cause.message : String(cause);
}

/** Statuses of a GET worth another try: a proxy or the CA saying it is briefly unavailable. */
const RETRYABLE_STATUS = new Set([502, 503, 504]);
/** The pool drops idle connections before servers usually do (5 s for node, Tomcat's keepAliveTimeout). */
const POOL_IDLE_MS = 4_000;

/** A pooled, authenticated HTTP client for one CA. */
export class CaClient {
  readonly #options: CaClientOptions;
  readonly #http: Deno.HttpClient;
  readonly #observe: CaCallObserver;
  readonly #retry: { attempts: number; baseDelayMs: number };
  readonly #maxResponseBytes: number;
  readonly #authorization?: string;
  /** Set once the CA asked for credentials; from then on they go with every request. */
  #preemptive = false;

  constructor(options: CaClientOptions) {
    this.#options = options;
    this.#http = Deno.createHttpClient({
      caCerts: options.caBundlePem === undefined ? undefined : [options.caBundlePem],
      poolIdleTimeout: POOL_IDLE_MS,
      http2: false,
      ...(options.identity ? { cert: options.identity.certPem, key: options.identity.keyPem } : {}),
    });
    this.#observe = options.observe ?? (() => {});
    this.#retry = options.retry ?? { attempts: 3, baseDelayMs: 100 };
    this.#maxResponseBytes = options.maxResponseBytes ?? 4 * 1024 * 1024;
    if (options.credentials) {
      const { username, password } = options.credentials;
      this.#authorization = `Basic ${new TextEncoder().encode(`${username}:${password}`).toBase64()}`;
    }
  }

  /**
   * Sends `request`; a 401 to a request sent without credentials is answered
   * once with them. Throws CaUnreachableError when the CA gives no answer.
   */
  async exchange(request: CaRequest): Promise<CaResponse> {
    const withCredentials = this.#preemptive && this.#authorization !== undefined;
    const response = await this.#withRetries(request, withCredentials);
    if (response.status !== 401 || withCredentials || this.#authorization === undefined) return response;
    this.#preemptive = true;
    return await this.#withRetries(request, true);
  }

  /** Closes the pooled connections. */
  close(): void {
    this.#http.close();
  }

  async #withRetries(request: CaRequest, withCredentials: boolean): Promise<CaResponse> {
    const attempts = request.method === "GET" && request.retry !== false ? this.#retry.attempts : 1;
    for (let attempt = 1;; attempt++) {
      const last = attempt >= attempts;
      try {
        const response = await this.#once(request, withCredentials);
        if (last || !RETRYABLE_STATUS.has(response.status)) return response;
      } catch (err) {
        if (last || !(err instanceof CaUnreachableError) || err.timedOut) throw err;
      }
      const delay = this.#retry.baseDelayMs * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * delay / 2));
    }
  }

  async #once(request: CaRequest, withCredentials: boolean): Promise<CaResponse> {
    const headers = new Headers(request.headers);
    if (withCredentials) headers.set("Authorization", this.#authorization!);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const response = await fetch(this.#options.baseUrl + request.path, {
        client: this.#http,
        method: request.method,
        headers,
        body: request.body,
        redirect: "manual",
        signal: AbortSignal.timeout(request.timeoutMs ?? this.#options.timeoutMs),
      });
      const read = await readBounded(response.body, this.#maxResponseBytes, "stop");
      if (read.overflowed) throw new ResponseTooLargeError(this.#maxResponseBytes);
      const body = read.bytes;
      this.#observe(request.call, seconds(), response.status < 500);
      return { status: response.status, headers: response.headers, body };
    } catch (err) {
      this.#observe(request.call, seconds(), false);
      if (err instanceof ResponseTooLargeError) throw err;
      const timedOut = err instanceof DOMException &&
        (err.name === "TimeoutError" || err.name === "AbortError");
      throw new CaUnreachableError(request.call, timedOut, err);
    }
  }
}

/** The CA sent more than the client accepts. */
export class ResponseTooLargeError extends Error {
  constructor(limit: number) {
    super(`the CA's response exceeds ${limit} bytes`);
    this.name = "ResponseTooLargeError";
  }
}
