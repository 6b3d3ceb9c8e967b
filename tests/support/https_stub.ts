import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { runOk } from "./tools.ts";
import { tempDir } from "./temp.ts";

/** A tiny HTTPS server on loopback answering with a test's handler, and the PEM anchor that verifies it. */
export interface HttpsStub {
  origin: string;
  caPath: string;
  /** Requests seen, in order: method, path, body. */
  requests: { method: string; path: string; body: string }[];
  close(): Promise<void>;
}

/** The handler gets the request index (0-based), the request and its body, and writes the answer. */
export type StubHandler = (index: number, req: IncomingMessage, res: ServerResponse, body: string) => void;

/** Starts a stub with a fresh self-signed certificate for 127.0.0.1 (made by openssl). */
export async function startHttpsStub(handler: StubHandler): Promise<HttpsStub> {
  const dir = await tempDir({ prefix: "https-stub-" });
  const keyPath = join(dir, "key.pem");
  const caPath = join(dir, "cert.pem");
  await runOk("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=stub",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-keyout",
    keyPath,
    "-out",
    caPath,
  ]);
  const requests: HttpsStub["requests"] = [];
  const server: Server = createServer(
    { key: await Deno.readTextFile(keyPath), cert: await Deno.readTextFile(caPath) },
    (req, res) => {
      const chunks: Uint8Array[] = [];
      req.on("data", (c: Uint8Array) => chunks.push(c));
      req.on("end", () => {
        const body = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
        requests.push({ method: req.method ?? "", path: req.url ?? "", body });
        handler(requests.length - 1, req, res, body);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `https://127.0.0.1:${port}`,
    caPath,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
