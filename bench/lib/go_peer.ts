import { join } from "node:path";
import { openssl } from "./openssl.ts";
import { delay, rssOf } from "./server_process.ts";

/**
 * The globalsign/est Go server (mock CA), the peer the load figures are compared with, when it has been
 * built (`../shared/tools/setup-gs.sh` writes it to $INTEROP, default ~/.cache/est-interop).
 */
export interface GoPeer {
  readonly pid: number;
  readonly port: number;
  rss(): number;
  stop(): Promise<void>;
}

/** Where the Go server binary is, or undefined when it has not been built on this machine. */
export function goPeerBinary(): string | undefined {
  const dir = Deno.env.get("INTEROP") ?? join(Deno.env.get("HOME") ?? "/root", ".cache", "est-interop");
  const path = join(dir, "gsest-estserver");
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A P-256 CA and a TLS pair for 127.0.0.1 signed by it, made with the openssl CLI in `dir`: ca.pem, ca.key,
 * tls.pem, tls.key.
 */
export async function makeLoopbackPki(dir: string): Promise<void> {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "30",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-subj",
    "/CN=Go Peer CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await openssl([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "tls.key",
    "-out",
    "tls.csr",
    "-subj",
    "/CN=127.0.0.1",
  ], dir);
  await Deno.writeTextFile(
    join(dir, "tls.ext"),
    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "tls.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "30",
    "-extfile",
    "tls.ext",
    "-out",
    "tls.pem",
  ], dir);
}

/** Starts the Go server on 127.0.0.1:`port` with its mock CA; resolves once it accepts TCP connections. */
export async function startGoPeer(binary: string, dir: string, port: number): Promise<GoPeer> {
  await Deno.mkdir(dir, { recursive: true });
  await makeLoopbackPki(dir);
  const file = (name: string) => join(dir, name);
  const config = {
    mock_ca: { certificates: file("ca.pem"), private_key: file("ca.key") },
    tls: {
      listen_address: `127.0.0.1:${port}`,
      certificates: file("tls.pem"),
      private_key: file("tls.key"),
      client_cas: [file("ca.pem")],
    },
    rate_limit: 0,
    timeout: 30,
    log_file: file("gs.log"),
  };
  await Deno.writeTextFile(file("cfg.json"), JSON.stringify(config));
  const child = new Deno.Command(binary, {
    args: ["-config", file("cfg.json")],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error("the Go server did not listen within 10 s");
      }
      await delay(20);
    }
  }
  return {
    pid: child.pid,
    port,
    rss: () => rssOf(child.pid),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
