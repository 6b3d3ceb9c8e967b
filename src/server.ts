import { readFileSync } from "node:fs";
import { getLogger } from "@logtape/logtape";
import { createAuthorizer } from "./authz/registry.ts";
import type { Backend } from "./backend/backend.ts";
import { LocalCaBackend } from "./backend/local_ca/local_ca_backend.ts";
import { toPem } from "./backend/local_ca/key_algorithms.ts";
import { createBackend } from "./backend/registry.ts";
import { ConfigError } from "./config/errors.ts";
import { useConfiguredCryptoProvider } from "./crypto/active.ts";
import type { EstConfig } from "./config/load.ts";
import { createEstApp } from "./est/app.ts";
import type { EstServices } from "./est/services.ts";
import { decodeBase64 } from "./est/body_codec.ts";
import { createRealm } from "./realm/registry.ts";
import { type AnchorSource, ClientChainValidator } from "./tls/client_chain.ts";
import { startTlsListener, type TlsListener, type TlsMaterial } from "./tls/listener.ts";
import { readTlsFiles, SelfIssuedServerCertificate, serverIdentities } from "./tls/server_certificate.ts";
import { VERSION } from "./version.ts";

const log = getLogger(["est", "server"]);

/** A started server. */
export interface RunningServer {
  readonly port: number;
  readonly backend: Backend;
  readonly listener: TlsListener;
  /** Drains in-flight requests (up to the configured grace) and releases every resource. */
  close(): Promise<void>;
}

/** Wires configuration to seams, the app and the TLS listener, and starts serving. */
export async function startServer(config: EstConfig): Promise<RunningServer> {
  useConfiguredCryptoProvider(config.crypto.provider);
  const backend = await createBackend(config.backend, config.server.state_dir);
  const realm = config.realm && createRealm(config.realm);
  const authorizer = createAuthorizer(config.authorizer);
  const clientCaCerts = config.server.client_ca ? readPemCertificates(config.server.client_ca) : [];
  const services: EstServices = {
    backend,
    realm,
    authorizer,
    clientCerts: new ClientChainValidator({
      anchors: withExtraAnchors(() => backend.caCerts(undefined), clientCaCerts),
      renewalAnchors: () => backend.caCerts(undefined),
      ekuPolicy: config.auth.client_cert_eku,
      isRevoked: backend.isRevoked?.bind(backend),
    }),
    settings: {
      auth: config.auth,
      errorStyle: config.est.compat,
      layout: { lineLength: config.est.base64_line_length, lineEnding: config.est.base64_line_ending },
      maxBodyBytes: config.server.max_body_bytes,
      keyPolicy: { minRsaBits: config.backend.minRsaBits },
      enrollMatchIdentity: config.authorizer.enrollMatchTLSSubjSAN,
      csrattrs: config.est.csrattrs,
      labels: config.labels,
      version: VERSION,
    },
  };
  if (!realm) log.warning("no realm configured: every request that needs a password gets 401");
  const selfIssued = serverCertificateIssuer(config, backend);
  const tls: TlsMaterial = selfIssued
    ? await selfIssued.current()
    : readTlsFiles(config.server.tls_cert!, config.server.tls_key!);
  const listener = await startTlsListener(createEstApp(services), {
    host: config.server.bind.host,
    port: config.server.bind.port,
    tls,
    clientCaPem: await clientTrustPem(config, backend),
    requestTimeoutSeconds: config.server.request_timeout,
  });
  selfIssued?.startRenewal((material) => listener.setTls(material));
  log.info("serving EST on https://{host}:{port}/.well-known/est/", {
    host: config.server.bind.host,
    port: listener.port,
  });
  return {
    port: listener.port,
    backend,
    listener,
    async close() {
      selfIssued?.stop();
      await listener.close(config.server.shutdown_grace * 1000);
      await Promise.allSettled([backend.close(), realm?.close(), authorizer?.close()]);
    },
  };
}

function serverCertificateIssuer(
  config: EstConfig,
  backend: Backend,
): SelfIssuedServerCertificate | undefined {
  if (config.server.tls_cert !== undefined) return undefined;
  if (!(backend instanceof LocalCaBackend)) {
    throw new ConfigError([{
      file: "server.toml",
      key: "server.tls_cert",
      message: "tls_cert and tls_key are required unless the backend is the local CA",
    }]);
  }
  return new SelfIssuedServerCertificate(
    backend,
    config.server.state_dir,
    serverIdentities(config.server.bind.host),
  );
}

/** The CA names announced in the TLS CertificateRequest (clients pick a certificate by them). */
async function clientTrustPem(config: EstConfig, backend: Backend): Promise<string> {
  const chain = await backend.caCerts(undefined).catch(() => []);
  const extra = config.server.client_ca ? readFileSync(config.server.client_ca, "utf8") : "";
  return chain.map((der) => toPem(der, "CERTIFICATE")).join("") + extra;
}

/** The DER certificates of a PEM bundle; a file without any is a configuration error. */
function readPemCertificates(path: string): Uint8Array<ArrayBuffer>[] {
  const blocks =
    readFileSync(path, "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new ConfigError([{ file: path, key: "server.client_ca", message: "no PEM certificate found" }]);
  }
  return blocks.map((block) => decodeBase64(block.replace(/-----[A-Z ]+-----/g, "")));
}

/** The backend's chain plus fixed extra anchors, as one stable list per chain the backend returns. */
function withExtraAnchors(chain: AnchorSource, extra: Uint8Array<ArrayBuffer>[]): AnchorSource {
  let last: { chain: Uint8Array<ArrayBuffer>[]; combined: Uint8Array<ArrayBuffer>[] } | undefined;
  return async () => {
    const current = await chain();
    if (last?.chain !== current) last = { chain: current, combined: [...current, ...extra] };
    return last.combined;
  };
}
