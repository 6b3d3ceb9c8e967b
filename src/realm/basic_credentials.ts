/** Credentials from an `Authorization: Basic ...` header. */
export interface BasicCredentials {
  username: string;
  password: string;
}

/** Parses an Authorization header; null when absent, not Basic, or malformed. */
export function parseBasicAuthorization(header: string | null | undefined): BasicCredentials | null {
  const m = /^\s*basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? "");
  if (!m || m[1].length % 4 === 1) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.fromBase64(m[1], { lastChunkHandling: "loose" }),
    );
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
