import { getLogger } from "@logtape/logtape";
import type { CaClient, CaRequest, CaResponse } from "./ca_client.ts";
import { caResponseError, caTransportError, jsonOf } from "./ca_errors.ts";

const log = getLogger(["est", "dogtag-ra"]);

/**
 * The CA calls made for one EST request: they share a cookie jar (the CA's
 * session from the login, as Dogtag's per-request client keeps it) and carry
 * the EST request's ID as X-Request-ID. CA failures come out as EstErrors.
 */
export class CaSession {
  readonly #cookies = new Map<string, string>();

  constructor(private readonly client: CaClient, private readonly requestId?: string) {}

  /** GETs `path` and returns its JSON body. */
  async getJson(call: string, path: string): Promise<unknown> {
    const response = await this.send({ call, method: "GET", path, headers: { Accept: "application/json" } });
    return jsonOf(this.#successful(response, call), call);
  }

  /** POSTs `body` as JSON; returns the JSON answer, or undefined when the CA answered with no body. */
  async postJson(call: string, path: string, body: unknown): Promise<unknown> {
    const response = await this.send({
      call,
      method: "POST",
      path,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    this.#successful(response, call);
    return response.body.byteLength === 0 ? undefined : jsonOf(response, call);
  }

  /** Sends one request with the session's cookies; any HTTP answer is returned, no answer is a 503. */
  async send(request: CaRequest): Promise<CaResponse> {
    const headers: Record<string, string> = { ...request.headers };
    if (this.requestId !== undefined) headers["X-Request-ID"] = this.requestId;
    if (this.#cookies.size > 0) {
      headers["Cookie"] = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    }
    let response: CaResponse;
    try {
      response = await this.client.exchange({ ...request, headers });
    } catch (err) {
      log.warning("CA call {call} failed: {error}", {
        call: request.call,
        error: (err as Error).message,
        requestId: this.requestId,
      });
      throw caTransportError(err);
    }
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(";")[0];
      const eq = pair.indexOf("=");
      if (eq > 0) this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return response;
  }

  #successful(response: CaResponse, call: string): CaResponse {
    if (response.status >= 200 && response.status < 300) return response;
    log.warning("CA call {call} answered HTTP {status}", {
      call,
      status: response.status,
      requestId: this.requestId,
    });
    throw caResponseError(response, call);
  }
}
