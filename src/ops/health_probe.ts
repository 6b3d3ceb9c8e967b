import { request } from "node:https";

/**
 * GETs a /health URL and resolves to whether it answered 200 within
 * `timeoutMs`. For container health checks on the same host: the server's
 * certificate is not verified and no credentials are sent.
 */
export function probeHealth(url: string, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
