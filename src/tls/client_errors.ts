import type { Duplex } from "node:stream";

/** What node:http's parser reports before a request reaches the application. */
export type ClientErrorKind = "header_too_large" | "header_timeout" | "bad_request" | "aborted";

const ANSWERS: Readonly<Record<Exclude<ClientErrorKind, "aborted">, [number, string, string]>> = {
  header_too_large: [431, "Request Header Fields Too Large", "Request headers are too large"],
  header_timeout: [408, "Request Timeout", "The request did not arrive in time"],
  bad_request: [400, "Bad Request", "Malformed HTTP request"],
};

/** How long the rest of a refused request is read and dropped, so that closing does not reset the answer away. */
const LINGER_MS = 2000;

/** The kind of a parser error, from its code. */
export function clientErrorKind(err: Error & { code?: string }): ClientErrorKind {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return "header_too_large";
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return "header_timeout";
    case "ECONNRESET":
    case "EPIPE":
    case "ERR_STREAM_DESTROYED":
      return "aborted";
    default:
      return "bad_request";
  }
}

/** Connections already answered: the parser may report the same error again for data that follows. */
const answered = new WeakSet<Duplex>();

/**
 * Answers a request the parser refused with a short plain-text status
 * (431, 408 or 400), then reads and drops what the client is still sending
 * for a moment before closing: closing with its data unread would reset the
 * connection, and the client would never see the answer. A connection the
 * client dropped, or one with a response under way, is just closed. Undefined
 * for a connection already answered.
 */
export function answerClientError(
  err: Error & { code?: string },
  socket: Duplex,
): ClientErrorKind | undefined {
  if (answered.has(socket)) return undefined;
  const kind = clientErrorKind(err);
  // A response under way on this connection must not get a second one written into it.
  const responding = (socket as { _httpMessage?: unknown })._httpMessage;
  if (kind === "aborted" || !socket.writable || responding) {
    socket.destroy();
    return "aborted";
  }
  answered.add(socket);
  const [status, reason, message] = ANSWERS[kind];
  const body = `${message}\n`;
  socket.write(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  // What follows is dropped unparsed (the parser would only report the same error again).
  socket.removeAllListeners("data");
  socket.on("data", () => {});
  socket.on("error", () => {});
  socket.on("end", () => socket.destroy());
  socket.resume();
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  Deno.unrefTimer(linger);
  socket.once("close", () => clearTimeout(linger));
  return kind;
}
