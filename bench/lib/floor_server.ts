/**
 * The runtime's floor: the least an HTTPS server on this runtime costs with this server's threads. The
 * primary thread listens, then starts one helper thread (where this server runs its audit writer), which
 * starts the other listener threads; every listener shares the port. Each answers every request, once its
 * body is read, with 200 and a fixed body of the size of an enrollment's answer. No routing, no
 * authentication, no certificate, no records.
 *
 *   deno run -A floor_server.ts PORT CERT_PEM KEY_PEM LISTENERS
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:https";

/** What a thread of the floor server is told when it starts. */
interface ThreadRole {
  role: "helper" | "listener";
  port: number;
  cert: string;
  key: string;
  /** For the helper: the listener threads it starts. */
  listeners: number;
}

/** About the size of the base64 PKCS#7 this server answers an enrollment with. */
const ANSWER = "A".repeat(1024);

function listen({ port, cert, key }: ThreadRole): void {
  createServer({ cert, key }, (request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/pkcs7-mime" });
      response.end(ANSWER);
    });
  }).listen({ port, host: "127.0.0.1", reusePort: true });
}

function startThread(name: string, role: ThreadRole): void {
  new Worker(import.meta.url, { type: "module", name }).postMessage(role);
}

if ("WorkerGlobalScope" in globalThis) {
  globalThis.addEventListener("message", (event) => {
    const role = (event as MessageEvent<ThreadRole>).data;
    if (role.role === "listener") return listen(role);
    for (let i = 0; i < role.listeners; i++) startThread(`listener-${i + 1}`, { ...role, role: "listener" });
  });
} else {
  const [port, certPath, keyPath, listeners] = Deno.args;
  const role: ThreadRole = {
    role: "helper",
    port: Number(port),
    cert: readFileSync(certPath, "utf8"),
    key: readFileSync(keyPath, "utf8"),
    listeners: Number(listeners) - 1,
  };
  listen(role);
  startThread("helper", role);
}
