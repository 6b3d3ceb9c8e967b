/** One part of a multipart body: its headers (lower-cased names) and its content as text. */
export interface ParsedPart {
  headers: Map<string, string>;
  body: string;
}

/**
 * Splits a multipart body (RFC 2046) at `boundary`, strictly: CRLF line
 * endings, a closing delimiter, nothing but whitespace around the parts.
 */
export function parseMultipart(body: string, boundary: string): ParsedPart[] {
  const delimiter = `--${boundary}`;
  const closing = body.lastIndexOf(`\r\n${delimiter}--`);
  if (
    !body.startsWith(`${delimiter}\r\n`) || closing < 0 || body.slice(closing).trim() !== `${delimiter}--`
  ) {
    throw new Error("not a well-formed multipart body");
  }
  return body.slice(delimiter.length + 2, closing).split(`\r\n${delimiter}\r\n`).map((section) => {
    const end = section.indexOf("\r\n\r\n");
    if (end < 0) throw new Error("a part has no header block");
    const headers = new Map<string, string>();
    for (const line of section.slice(0, end).split("\r\n")) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    return { headers, body: section.slice(end + 4) };
  });
}

/** The boundary parameter of a multipart/mixed Content-Type. */
export function boundaryOf(contentType: string | undefined): string {
  const match = /^multipart\/mixed;\s*boundary=("?)([^";]+)\1\s*$/i.exec(contentType ?? "");
  if (match === null) throw new Error(`not multipart/mixed with a boundary: ${contentType}`);
  return match[2];
}
