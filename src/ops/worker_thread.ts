/// <reference lib="deno.worker" />
import { type RunningServer, startServer } from "../server.ts";
import { PortAuditSink } from "./audit_port.ts";
import { setupLogging } from "./logging.ts";
import type { FromWorker, ToWorker } from "./worker_protocol.ts";

/** A listener thread: runs the server in worker mode and answers the primary. */

/** Where answers go: the primary, directly or over the port it sent (see the "port" message). */
let post = (message: FromWorker): void => self.postMessage(message);

let server: RunningServer | undefined;
/** The port the primary bound (configuration may say 0). */
let port = 0;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type !== "port") return handle(message);
  // Started by the audit writer thread on the primary's behalf: the primary is at the other end of this port.
  const primary = message.port;
  post = (answer) => primary.postMessage(answer);
  primary.onmessage = (from: MessageEvent<ToWorker>) => handle(from.data);
};

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case "start":
      try {
        const settings = message.settings;
        await setupLogging(settings.log);
        port = message.port;
        settings.server.bind.port = port;
        server = await startServer(settings, {
          tls: message.tls,
          audit: message.auditPort && new PortAuditSink(message.auditPort),
          ...message.shared,
        });
        post({ type: "started" });
      } catch (err) {
        post({ type: "failed", message: (err as Error).message });
      }
      return;
    case "tls":
      return server?.useSelfIssued(message.tls);
    case "reload":
      message.settings.server.bind.port = port;
      return post({
        type: "reloaded",
        id: message.id,
        applied: await server?.apply(message.settings) ?? false,
      });
    case "metrics":
      return post({ type: "metrics", id: message.id, metrics: await server?.metricsJson() ?? [] });
    case "close":
      await server?.close();
      return post({ type: "closed" });
  }
}
