import { createServer, type Server } from "node:http";
import { listenPlainHttp, type PlainHttpListener } from "./plain_http_listener.ts";

/** A running metrics listener. */
export type MetricsListener = PlainHttpListener;

/** The Prometheus text format's media type. */
const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Serves `GET /metrics` (Prometheus text format, from `render`) on its own plain-HTTP listener. */
export async function startMetricsListener(
  host: string,
  port: number,
  render: () => Promise<string>,
): Promise<MetricsListener> {
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not found\n");
    } else if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "Allow": "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" }).end(
        "Method not allowed\n",
      );
    } else {
      const body = await render();
      res.writeHead(200, { "Content-Type": CONTENT_TYPE, "Content-Length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
    }
  });
  return await listenPlainHttp(server, host, port);
}
