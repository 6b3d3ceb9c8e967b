/**
 * Typed errors that carry their HTTP status. Handlers, seams and codecs throw
 * them; one writer (src/est/error_response.ts) turns them into responses.
 *
 * @module
 */

/** Dogtag's exception class for each status, used by `compat = "dogtag"` bodies. */
const DOGTAG_CLASSES: Readonly<Record<number, string>> = {
  400: "com.netscape.certsrv.base.BadRequestException",
  401: "com.netscape.certsrv.base.UnauthorizedException",
  403: "com.netscape.certsrv.base.ForbiddenException",
  404: "com.netscape.certsrv.base.ResourceNotFoundException",
  415: "com.netscape.certsrv.base.UnsupportedMediaType",
};

/** An error with the HTTP status, message and headers it should produce. */
export class EstError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "EstError";
  }

  /** The Java class name Dogtag reports for this status. */
  get dogtagClassName(): string {
    return DOGTAG_CLASSES[this.status] ?? "com.netscape.certsrv.base.PKIException";
  }
}

/** 202: the request is accepted but its certificate is not decided yet; ask again after `retryAfterSeconds`. */
export class RequestPendingError extends EstError {
  constructor(message: string, retryAfterSeconds: number) {
    super(202, message, { "Retry-After": String(retryAfterSeconds) });
  }
}

/** 400: the request is malformed (bad base64, DER, CSR or signature). */
export class BadRequestError extends EstError {
  constructor(message: string) {
    super(400, message);
  }
}

/** 401: no or bad credentials; carries the Basic challenge. */
export class UnauthorizedError extends EstError {
  constructor(message: string, realmName: string) {
    super(401, message, { "WWW-Authenticate": `Basic realm="${realmName.replace(/["\\]/g, "")}"` });
  }
}

/** 403: authenticated, but policy refuses the request. */
export class ForbiddenError extends EstError {
  constructor(message: string) {
    super(403, message);
  }
}

/** 404: no such resource (path, label, or backend object). */
export class NotFoundError extends EstError {
  constructor(message: string) {
    super(404, message);
  }
}

/** 405: the path exists but not for this method; `allow` lists the methods that are. */
export class MethodNotAllowedError extends EstError {
  constructor(allow: readonly string[]) {
    super(405, "Method not allowed", { "Allow": allow.join(", ") });
  }
}

/** 408: the client did not send the whole request in time. */
export class RequestTimeoutError extends EstError {
  constructor(seconds: number) {
    super(408, `The request body did not arrive within ${seconds} seconds`, { "Connection": "close" });
  }
}

/** 413: the request body is larger than the configured limit. */
export class PayloadTooLargeError extends EstError {
  constructor(limit: number) {
    super(413, `Request body exceeds the limit of ${limit} bytes`);
  }
}

/** 415: the Content-Type is missing or not what the operation takes. */
export class UnsupportedMediaTypeError extends EstError {
  constructor(message: string) {
    super(415, message);
  }
}

/** 429: a rate limit, lockout or quota applies; Retry-After says when to come back (whole seconds, rounded up). */
export class TooManyRequestsError extends EstError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, message, { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

/**
 * The client closed the connection before its request was complete. Nothing
 * reaches the client; 499 (the status nginx gives this case) marks it in the
 * access log, metrics and audit as a client abort, not a server fault.
 */
export class ClientAbortError extends EstError {
  constructor() {
    super(499, "The client closed the connection before the request was complete");
  }
}

/** 500: a fault on this side; the message must not leak internals. */
export class InternalError extends EstError {
  constructor(message: string) {
    super(500, message);
  }
}

/** 501: the operation exists in EST but this server's CA backend does not provide it. */
export class NotImplementedError extends EstError {
  constructor(message: string) {
    super(501, message);
  }
}

/**
 * An error the CA behind the backend reported, passed on with its status and
 * message; Dogtag-style bodies keep the CA's exception class when it gave one.
 */
export class UpstreamError extends EstError {
  constructor(status: number, message: string, readonly upstreamClassName?: string) {
    super(status, message);
  }

  override get dogtagClassName(): string {
    return this.upstreamClassName ?? super.dogtagClassName;
  }
}

/** 503: a dependency (backend, realm, store) is unavailable; retry later. */
export class UnavailableError extends EstError {
  constructor(message: string, retryAfterSeconds?: number) {
    super(
      503,
      message,
      retryAfterSeconds === undefined ? {} : { "Retry-After": String(retryAfterSeconds) },
    );
  }
}
