/** Credentials from an `Authorization: Basic ...` header. */
export interface BasicCredentials {
  username: string;
  password: string;
}

/** An octet above 0x7f among the characters `atob` gives (one per octet). */
const NON_ASCII = /[\x80-\xff]/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses an Authorization header; null when absent, not Basic, or malformed. */
export function parseBasicAuthorization(header: string | null | undefined): BasicCredentials | null {
  const m = /^\s*basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? "");
  if (!m || m[1].length % 4 === 1) return null;
  let decoded: string;
  try {
    // One character per octet; ASCII (nearly every credential) is already its UTF-8 text.
    const octets = atob(m[1]);
    decoded = NON_ASCII.test(octets) ? utf8.decode(Uint8Array.from(octets, (c) => c.charCodeAt(0))) : octets;
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
