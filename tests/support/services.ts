import { existsSync } from "node:fs";
import { hasTool } from "./tools.ts";

/**
 * Finding and waiting for the daemons some tests run privately (slapd,
 * PostgreSQL). Like tools.ts: a missing daemon ignores its tests with a note,
 * except under EST_REQUIRE_TOOLS=1 (CI), where it fails them.
 */

/** The first of `candidates` that exists, else `name` when it is on PATH. */
export function findProgram(name: string, candidates: string[]): string | undefined {
  return candidates.find((path) => existsSync(path)) ?? (hasTool(name) ? name : undefined);
}

/** `ignore` option for Deno.test: true (with a note) when `program` is missing, unless tools are required. */
export function unlessProgram(what: string, program: string | undefined): boolean {
  if (program !== undefined) return false;
  if (Deno.env.get("EST_REQUIRE_TOOLS") === "1") {
    throw new Error(`EST_REQUIRE_TOOLS=1 but ${what} is not installed`);
  }
  console.warn(`note: ${what} is not installed; its tests are ignored`);
  return true;
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Below Linux's ephemeral range (32768–60999), which port 0 and outgoing connections draw from. */
const RESTARTABLE_PORTS = { from: 20_000, to: 32_000 };

/**
 * A loopback TCP port for a service a test stops and starts again on the same
 * port (PostgreSQL, slapd): taken below the ephemeral range, so that while the
 * service is down the port is not handed to another test's `freePort()` or to
 * an outgoing connection.
 */
export function restartablePort(): number {
  for (;;) {
    const port = RESTARTABLE_PORTS.from +
      Math.floor(Math.random() * (RESTARTABLE_PORTS.to - RESTARTABLE_PORTS.from));
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // taken: draw again
    }
  }
}

/** Resolves once 127.0.0.1:`port` accepts connections; throws after `ms` or when `exited` settles first. */
export async function waitForPort(
  port: number,
  ms: number,
  exited: Promise<unknown>,
  what: string,
): Promise<void> {
  let gone = false;
  exited.then(() => gone = true, () => gone = true);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${what} exited before it listened on port ${port}`);
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${what} did not listen on port ${port} within ${ms} ms`);
}
