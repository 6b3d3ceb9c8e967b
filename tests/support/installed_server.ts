import { join } from "node:path";
import { tempDir } from "./temp.ts";

/** A config dir for an installed build: the embedded default on `port`, metrics on `metricsPort`. */
export async function defaultConfigCopy(root: string, port: number, metricsPort = 0): Promise<string> {
  const dir = await tempDir({ prefix: "est-installed-" });
  const toml = await Deno.readTextFile(join(root, "config", "server.toml"));
  const bound = toml.replace('bind = "127.0.0.1:8443"', `bind = "127.0.0.1:${port}"`);
  if (bound === toml) throw new Error("config/server.toml no longer binds 127.0.0.1:8443");
  await Deno.writeTextFile(
    join(dir, "server.toml"),
    `${bound}\n[metrics]\nbind = "127.0.0.1:${metricsPort}"\n[publish]\nbind = "127.0.0.1:0"\n`,
  );
  return dir;
}

/**
 * A POSIX sh script that starts `command serve --config configDir`, waits for
 * /health, enrolls with curl and openssl as the README shows (the demo user),
 * verifies the certificate, stops the server with SIGTERM and prints
 * `ENROLLED <subject>` and `EXIT <code>`. It exits non-zero at the first failure.
 */
export function serveAndEnrollScript(command: string, configDir: string, port: number): string {
  const url = `https://127.0.0.1:${port}`;
  return `set -eu
cd "${configDir}"
"${command}" serve --config "${configDir}" 2> serve.log &
pid=$!
up=0
for i in $(seq 1 150); do
  if curl -sfk ${url}/health >/dev/null 2>&1; then up=1; break; fi
  sleep 0.1
done
if [ $up -ne 1 ]; then kill $pid 2>/dev/null || true; cat serve.log >&2; exit 3; fi
${enrollAndVerifyLines(url)}
echo "ENROLLED $(openssl x509 -in cert1.pem -noout -subject)"
kill -TERM $pid
code=0
wait $pid || code=$?
echo "EXIT $code"
`;
}

/**
 * POSIX sh lines that take the CA chain from the server at `url` (ca.pem), then enroll the demo user
 * `times` times with curl and openssl as the README shows, each certificate (cert1.pem, cert2.pem ...)
 * verified against the chain.
 */
export function enrollAndVerifyLines(url: string, times = 1): string {
  return `curl -sfk ${url}/.well-known/est/cacerts | openssl base64 -d -A | openssl pkcs7 -inform DER -print_certs -out ca.pem
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -subj /CN=estuser \\
  -outform DER 2>/dev/null | openssl base64 -A > req.b64
for i in $(seq 1 ${times}); do
  curl -sf --cacert ca.pem -u estuser:estpass -H 'Content-Type: application/pkcs10' --data-binary @req.b64 \\
    ${url}/.well-known/est/simpleenroll | openssl base64 -d -A | openssl pkcs7 -inform DER -print_certs -out cert$i.pem
  openssl verify -CAfile ca.pem cert$i.pem >/dev/null
done`;
}
