/**
 * `pki-est-server client ...`: the built-in EST client. Parses the command
 * line, opens a session and runs one operation; exit 0 on success, 1 when the
 * server, the network or the material fails, 2 on a usage error.
 *
 * @module
 */
import { runCaCerts } from "./cacerts.ts";
import { runCsrAttrs } from "./csrattrs.ts";
import { runEnroll } from "./enroll.ts";
import { ClientFailure, UsageError } from "./errors.ts";
import { runHealth } from "./health.ts";
import { type ClientIo, processIo } from "./io.ts";
import { parseClientArgs } from "./options.ts";
import { runServerKeyGen } from "./serverkeygen.ts";
import { openSession } from "./session.ts";

/** The client's usage text. */
export const CLIENT_USAGE = `usage: pki-est-server client COMMAND --server https://HOST:PORT [options]

commands:
  cacerts       the CA chain (--out FILE, --der)
  csrattrs      the attributes the server asks CSRs to carry (--out FILE keeps the DER)
  enroll        new key and certificate: --cn NAME | --subject DN, [--dns NAME]... [--ip ADDR]...,
                --key-out FILE --out FILE
  reenroll      renew --cert FILE (authenticating with it and --key FILE): same subject and SAN,
                new key to --key-out FILE (or --reuse-key FILE), certificate to --out FILE
  serverkeygen  the server makes the key: same naming options as enroll, --key-out FILE --out FILE
  health        GET /health; exit 0 when healthy

trust (one of):
  --cacert FILE              PEM anchors for the server's certificate
  --bootstrap                fetch /cacerts unverified, show the CA's SHA-256 fingerprint, ask to confirm
  --bootstrap --fingerprint HEX   ... or compare it with HEX (refused on mismatch)
  (neither)                  the system's trust store

authentication:
  --user NAME with --password-file FILE, $EST_PASSWORD, or --password (visible to other local users)
  --cert FILE --key FILE     a TLS client certificate (PEM)

other options:
  --label LABEL              use /.well-known/est/LABEL/...
  --key-type TYPE            ec-p256 (default), ec-p384, rsa2048, rsa3072, rsa4096
  --reuse-key FILE           sign the CSR with this key instead of a new one
  --der                      write DER instead of PEM (one certificate; PKCS#8 key)
  --csr-out FILE             also write the CSR (DER)
  --max-wait SECONDS         how long to keep retrying a pending (202) request (default 300)
  --timeout SECONDS          per request (default 30)

$EST_SERVER stands in for --server. Keys are written with mode 0600.
exit codes: 0 success, 1 refused or failed (server, network, files), 2 usage.
`;

/** Runs the client with `args` (the words after "client"); returns the exit code. */
export async function runClient(args: string[], io: ClientIo = processIo()): Promise<number> {
  if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
    (args.length === 0 ? io.stderr : io.stdout).write(CLIENT_USAGE);
    return args.length === 0 ? 2 : 0;
  }
  try {
    const options = parseClientArgs(args, io.env, io.readTextFile);
    const session = await openSession(options, io);
    switch (options.command) {
      case "cacerts":
        await runCaCerts(options, session, io);
        break;
      case "csrattrs":
        await runCsrAttrs(options, session, io);
        break;
      case "enroll":
      case "reenroll":
        await runEnroll(options, session, io);
        break;
      case "serverkeygen":
        await runServerKeyGen(options, session, io);
        break;
      case "health":
        await runHealth(session, io);
        break;
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`client: ${err.message}\n(pki-est-server client --help lists the options)\n`);
      return 2;
    }
    io.stderr.write(`client: ${err instanceof ClientFailure ? "" : "failed: "}${(err as Error).message}\n`);
    return 1;
  }
}
