import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { Client } from "ldapts";
import type { LdapRealmConfig } from "../../config/components.ts";
import { withDeadline } from "../deadline.ts";

/** TLS settings towards the directory: its CA bundle, and the client certificate for SslClientAuth. */
export function directoryTlsOptions(config: LdapRealmConfig): ConnectionOptions {
  const host = new URL(config.url).hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    // StartTLS upgrades a socket: the name to verify must be given, or "localhost" would be checked.
    host,
    servername: /^[\d.]+$|:/.test(host) ? undefined : host,
    ca: config.caBundle === undefined ? undefined : readFileSync(config.caBundle, "utf8"),
    cert: config.clientCertFile === undefined ? undefined : readFileSync(config.clientCertFile, "utf8"),
    key: config.clientKeyFile === undefined ? undefined : readFileSync(config.clientKeyFile, "utf8"),
    minVersion: "TLSv1.2",
  };
}

/**
 * Opens a connection and authenticates it as the realm's service identity:
 * a simple bind as `bindDN` (BasicAuth; anonymous without one) or SASL
 * EXTERNAL with the TLS client certificate (SslClientAuth). StartTLS first
 * when configured. The whole of it is bounded by the connect timeout.
 */
export async function openServiceConnection(
  config: LdapRealmConfig,
  tls: ConnectionOptions,
): Promise<Client> {
  // Loaded here, so that a server without a directory realm does not carry the client.
  const { Client } = await import("ldapts");
  const client = new Client({
    url: config.url,
    connectTimeout: config.connectTimeout * 1000,
    timeout: config.timeout * 1000,
    // ldapts speaks TLS from the first byte whenever it is given TLS options.
    tlsOptions: config.url.startsWith("ldaps:") ? tls : undefined,
    strictDN: false,
  });
  const setUp = async () => {
    // ldapts writes the socket into the options it is given: a copy each time.
    if (config.startTLS) await client.startTLS({ ...tls });
    await bindAsService(client, config);
    return client;
  };
  try {
    return await withDeadline(setUp(), config.connectTimeout * 1000, "the directory", () => {
      void client.unbind().catch(() => {});
    });
  } catch (err) {
    await client.unbind().catch(() => {});
    throw err;
  }
}

/** Binds (again) as the service identity, e.g. after a user's password was checked on the connection. */
export async function bindAsService(client: Client, config: LdapRealmConfig): Promise<void> {
  if (config.authType === "SslClientAuth") await client.bind("EXTERNAL");
  else if (config.bindDN !== undefined) await client.bind(config.bindDN, config.bindPassword);
  else await client.bind("", "");
}
