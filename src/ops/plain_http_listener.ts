/**
 * Listening with a plain-HTTP node server (metrics, CRL and OCSP
 * publishing): bind, report the port, close with every connection.
 *
 * @module
 */

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A running plain-HTTP listener. */
export interface PlainHttpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Binds `server` to `host`:`port` (0 picks one); rejects when the address cannot be had. */
export async function listenPlainHttp(
  server: Server,
  host: string,
  port: number,
): Promise<PlainHttpListener> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
