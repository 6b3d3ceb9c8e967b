import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findProgram, restartablePort, unlessProgram, waitForPort } from "./services.ts";
import { tomcatDigest } from "../../src/realm/postgresql/tomcat_digest.ts";
import { runOk } from "./tools.ts";

/**
 * A private PostgreSQL cluster (initdb in a temporary directory, the server
 * on a loopback port, no Unix socket), with a database `est` owned by the
 * role `est` / `Secret.123` as in Dogtag's postgresql.conf, loaded with the
 * equivalent of Dogtag's `create.sql`. PostgreSQL refuses to run as root:
 * then the cluster belongs to the `postgres` account (from the Debian
 * package) and its programs run through setpriv.
 */

function binDir(): string | undefined {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base)
    ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    : [];
  const found = versions.map((v) => join(base, v, "bin")).find((dir) => existsSync(join(dir, "initdb")));
  if (found) return found;
  const initdb = findProgram("initdb", []);
  return initdb === undefined ? undefined : "";
}

const BIN = binDir();
const PSQL = findProgram("psql", ["/usr/bin/psql"]);
const AS_ROOT = Deno.uid() === 0;

export const DATABASE = { name: "est", user: "est", password: "Secret.123" };

/** `ignore` option for tests that need PostgreSQL's server programs and psql. */
export function unlessPostgres(): boolean {
  return unlessProgram(
    "PostgreSQL (initdb, postgres, psql)",
    BIN !== undefined && PSQL ? "found" : undefined,
  );
}

/** The equivalent of Dogtag's create.sql. */
export const CREATE_SQL = `CREATE TABLE "users" (
  "id" VARCHAR PRIMARY KEY,
  "full_name" VARCHAR,
  "password" VARCHAR
);
CREATE TABLE "user_certs" (
  "user_id" VARCHAR NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
  "cert_id" VARCHAR NOT NULL,
  "data" BYTEA NOT NULL,
  PRIMARY KEY ("user_id", "cert_id")
);
CREATE TABLE "groups" (
  "id" VARCHAR PRIMARY KEY,
  "description" VARCHAR
);
CREATE TABLE "group_members" (
  "group_id" VARCHAR NOT NULL REFERENCES "groups" ("id") ON DELETE CASCADE,
  "user_id" VARCHAR NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
  PRIMARY KEY ("group_id", "user_id")
);
INSERT INTO "groups" ("id", "description") VALUES ('EST Users', 'Users enabled to enroll certificates');
`;

function program(name: string): string {
  return BIN === "" ? name : join(BIN!, name);
}

/**
 * Runs a PostgreSQL server program as the account that owns the cluster.
 * setpriv execs the program in place (runuser would stay as its parent and
 * stop itself whenever the server is stopped), so signals reach the server.
 */
function asOwner(name: string, args: string[]): Deno.Command {
  const cmd = AS_ROOT ? "setpriv" : program(name);
  const argv = AS_ROOT
    ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", program(name), ...args]
    : args;
  return new Deno.Command(cmd, { args: argv, stdin: "null", stdout: "piped", stderr: "piped" });
}

/** TLS for the server: its certificate and key (PEM). */
export interface PostgresTls {
  certPath: string;
  keyPath: string;
}

/** A running (or stopped) private PostgreSQL server. */
export class PostgresCluster {
  #process?: Deno.ChildProcess;

  private constructor(readonly dir: string, readonly port: number, readonly tls: boolean) {}

  /** initdb, start, create the role and database, load create.sql. */
  static async start(options: { tls?: PostgresTls } = {}): Promise<PostgresCluster> {
    // Not under the tests' private temporary root: the postgres account must reach it.
    const dir = await Deno.makeTempDir({ dir: tmpdir(), prefix: "est-postgres-" });
    const cluster = new PostgresCluster(dir, restartablePort(), options.tls !== undefined);
    try {
      await Deno.writeTextFile(join(dir, "pw"), "Secret.123\n");
      if (options.tls) {
        await Deno.copyFile(options.tls.certPath, join(dir, "server.crt"));
        await Deno.copyFile(options.tls.keyPath, join(dir, "server.key"));
        await Deno.chmod(join(dir, "server.key"), 0o600);
      }
      if (AS_ROOT) await runOk("chown", ["-R", "postgres", dir]);
      const init = await asOwner("initdb", [
        "-D",
        join(dir, "data"),
        "-U",
        "postgres",
        "-A",
        "scram-sha-256",
        `--pwfile=${join(dir, "pw")}`,
        "-E",
        "UTF8",
        "--no-sync",
        "--no-instructions",
      ]).output();
      if (!init.success) throw new Error(`initdb failed: ${new TextDecoder().decode(init.stderr)}`);
      await cluster.resume();
      await cluster.psql(
        `CREATE ROLE "${DATABASE.user}" LOGIN PASSWORD '${DATABASE.password}';` +
          `CREATE DATABASE "${DATABASE.name}" OWNER "${DATABASE.user}";`,
        "postgres",
        "postgres",
      );
      await cluster.psql(CREATE_SQL);
      return cluster;
    } catch (err) {
      await cluster.close();
      throw err;
    }
  }

  /** jdbc:postgresql://127.0.0.1:PORT/est */
  get jdbcUrl(): string {
    return `jdbc:postgresql://127.0.0.1:${this.port}/${DATABASE.name}`;
  }

  /** Runs SQL through psql (as `user`, default est, on `database`, default est); returns its output. */
  async psql(sql: string, database: string = DATABASE.name, user: string = DATABASE.user): Promise<string> {
    const args = ["-h", "127.0.0.1", "-p", String(this.port), "-U", user, "-d", database];
    const child = new Deno.Command(PSQL!, {
      args: [...args, "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-f", "-"],
      env: { PGPASSWORD: "Secret.123", PGSSLMODE: "prefer" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(sql));
    await writer.close();
    const out = await child.output();
    if (!out.success) throw new Error(`psql failed: ${new TextDecoder().decode(out.stderr)}`);
    return new TextDecoder().decode(out.stdout);
  }

  /** Starts the server (again) on the same port and data. */
  async resume(): Promise<void> {
    const settings = [
      ["listen_addresses", "127.0.0.1"],
      ["port", String(this.port)],
      ["unix_socket_directories", ""],
      ["fsync", "off"],
      ["max_connections", "20"],
      ["shared_buffers", "16MB"],
      ...(this.tls
        ? [["ssl", "on"], ["ssl_cert_file", join(this.dir, "server.crt")], [
          "ssl_key_file",
          join(this.dir, "server.key"),
        ]]
        : []),
    ].flatMap(([k, v]) => ["-c", `${k}=${v}`]);
    this.#process = asOwner("postgres", ["-D", join(this.dir, "data"), ...settings]).spawn();
    const stderr = new Response(this.#process.stderr).text();
    void new Response(this.#process.stdout).text();
    try {
      await waitForPort(this.port, 30_000, this.#process.status, "postgres");
      await this.#untilAccepting();
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${await stderr}`);
    }
  }

  /** The port opens before recovery ends ("the database system is starting up"): wait for a query. */
  async #untilAccepting(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await this.psql("SELECT 1", "postgres", "postgres");
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops the server (fast shutdown: SIGINT to the postmaster) and waits until it has exited. */
  async stop(): Promise<void> {
    const process = this.#process;
    this.#process = undefined;
    if (process === undefined) return;
    try {
      process.kill("SIGINT");
    } catch {
      // already exited
    }
    await process.status;
  }

  /** Freezes the server (SIGSTOP to the postmaster and its children): connections hang, nothing answers. */
  freeze(): void {
    this.#signalAll("SIGSTOP");
  }

  /** Undoes freeze(). */
  thaw(): void {
    this.#signalAll("SIGCONT");
  }

  #signalAll(signal: "SIGSTOP" | "SIGCONT"): void {
    const postmaster = this.#postmasterPid();
    if (postmaster === undefined) return;
    const children = [...Deno.readDirSync("/proc")].map((e) => Number(e.name)).filter((pid) => {
      try {
        // Field 4 of /proc/PID/stat is the parent; the command name before it is in parentheses.
        return Number(Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]?.split(" ")[1]) ===
          postmaster;
      } catch {
        return false;
      }
    });
    for (const pid of [postmaster, ...children]) {
      try {
        Deno.kill(pid, signal);
      } catch {
        // gone meanwhile
      }
    }
  }

  #postmasterPid(): number | undefined {
    try {
      const pid = Number(Deno.readTextFileSync(join(this.dir, "data", "postmaster.pid")).split("\n")[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops the server and removes its files. */
  async close(): Promise<void> {
    await this.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** SQL quoting for test fixtures (psql input); never used by the server, which only binds parameters. */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** SQL adding a user whose password is stored as Tomcat's digest.sh writes it (SHA-512, salted, iterated). */
export function userSql(id: string, fullName: string, password: string, groups: string[] = []): string {
  const stored = tomcatDigest(
    { algorithm: "sha512", encoding: "utf8" },
    password,
    crypto.getRandomValues(new Uint8Array(16)),
    10,
  );
  return `INSERT INTO "users" VALUES (${sqlLiteral(id)}, ${sqlLiteral(fullName)}, ${sqlLiteral(stored)});` +
    groups.map((g) => `INSERT INTO "group_members" VALUES (${sqlLiteral(g)}, ${sqlLiteral(id)});`).join("");
}
