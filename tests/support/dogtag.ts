import { FakeDogtagCa, type FakeDogtagCaOptions } from "./fake_dogtag_ca.ts";
import { startTestServer, type TestConfig, type TestServer } from "./server.ts";

/** An EST server whose backend is the DogtagRABackend in front of a fake Dogtag CA. */

/** backend.conf keys of Dogtag's CI (Basic towards the CA), pointed at `ca`; timeout 2 s. */
export function ciBackendConf(ca: FakeDogtagCa): Record<string, string> {
  return {
    class: "org.dogtagpki.est.DogtagRABackend",
    url: ca.url,
    profile: "estServiceCert",
    "fullcmc.profile": "estFullcmcDeviceCert",
    username: "est-ra-1",
    password: "est4ever",
    caBundle: ca.caBundlePath,
    timeout: "2",
  };
}

/** Properties text; a null value leaves the key out. */
export function propertiesText(entries: Record<string, string | null>): string {
  return Object.entries(entries).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}\n`).join("");
}

/** Starts an EST server (TLS certificate from the fake CA) with `backend` overriding the CI backend.conf. */
export async function startDogtagEst(
  ca: FakeDogtagCa,
  backend: Record<string, string | null> = {},
  config: TestConfig = {},
): Promise<TestServer> {
  const tls = await ca.writeIdentity(`est-${crypto.randomUUID()}`, "CN=est.example.com", {
    dns: ["localhost"],
    ips: ["127.0.0.1"],
  });
  return await startTestServer({
    ...config,
    server: { tls_cert: tls.certPath, tls_key: tls.keyPath, ...config.server },
    files: { ...config.files, "backend.conf": propertiesText({ ...ciBackendConf(ca), ...backend }) },
  });
}

/** Starts a fake CA and an EST server in front of it. */
export async function startDogtagPair(
  options: FakeDogtagCaOptions = {},
  backend: Record<string, string | null> = {},
  config: TestConfig = {},
): Promise<{ ca: FakeDogtagCa; srv: TestServer; close(): Promise<void> }> {
  const ca = await FakeDogtagCa.start(options);
  const srv = await startDogtagEst(ca, backend, config);
  return {
    ca,
    srv,
    async close() {
      await srv.close();
      await ca.close();
    },
  };
}
