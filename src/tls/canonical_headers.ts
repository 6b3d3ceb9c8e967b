import type { OutgoingHttpHeaders, ServerResponse } from "node:http";

/** Names whose canonical spelling is not plain Title-Case. */
const SPECIAL: Readonly<Record<string, string>> = {
  "www-authenticate": "WWW-Authenticate",
  "x-request-id": "X-Request-ID",
  "etag": "ETag",
  "content-md5": "Content-MD5",
};

/** Names already rewritten; a response carries few distinct names, so this stays small. */
const seen = new Map<string, string>();
const SEEN_LIMIT = 256;

/** "content-type" -> "Content-Type"; "www-authenticate" -> "WWW-Authenticate". */
export function canonicalHeaderName(name: string): string {
  let canonical = seen.get(name);
  if (canonical === undefined) {
    const lower = name.toLowerCase();
    canonical = SPECIAL[lower] ??
      lower.replace(/(^|-)([a-z])/g, (_, dash: string, ch: string) => dash + ch.toUpperCase());
    if (seen.size < SEEN_LIMIT) seen.set(name, canonical);
  }
  return canonical;
}

/**
 * Web-standard Headers lower-case every name, and some EST clients (libest)
 * compare names case-sensitively. This rewrites the names where the response
 * meets node:http.
 */
export function canonicalizeResponseHeaders(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (status: number, ...rest: unknown[]) => ServerResponse;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const last = rest.length - 1;
    const headers = rest[last];
    if (Array.isArray(headers)) {
      rest[last] = headers.map((v, i) => i % 2 === 0 && typeof v === "string" ? canonicalHeaderName(v) : v);
    } else if (typeof headers === "object" && headers !== null) {
      const renamed: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(headers)) renamed[canonicalHeaderName(k)] = v;
      rest[last] = renamed;
    }
    for (const name of res.getHeaderNames()) {
      const value = res.getHeader(name);
      res.removeHeader(name);
      if (value !== undefined) res.setHeader(canonicalHeaderName(name), value);
    }
    return writeHead(status, ...rest);
  }) as typeof res.writeHead;
}
