/** How the watchdog checks a listener and what it does about one that stopped accepting. */
export interface AcceptWatchdogOptions {
  /** Where to connect to reach the listener (a wildcard bind is probed on loopback). */
  host: string;
  port: number;
  /** How often to check, when no connection was accepted in between. */
  intervalMs: number;
  /** How long an accepted probe may take to be closed by the server. */
  probeTimeoutMs: number;
  /** Closes and re-opens the listening socket. */
  relisten: () => Promise<void>;
}

/** The address to probe for a bind address. */
export function probeHost(bindHost: string): string {
  if (bindHost === "0.0.0.0") return "127.0.0.1";
  if (bindHost === "::" || bindHost === "[::]") return "::1";
  return bindHost;
}

/**
 * Connects to the listener and sends one byte that is not TLS: a listener
 * that accepts closes the connection at once. True when it did, false when the
 * connection sat unaccepted or was refused, undefined when no probe could be
 * made (no descriptor free here, say).
 */
export async function probeListener(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<boolean | undefined> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: host, port });
  } catch (err) {
    // Refused: nothing listens there any more (a re-open that failed), which re-opening mends too.
    return err instanceof Deno.errors.ConnectionRefused ? false : undefined;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await conn.write(new Uint8Array([0]));
    const closed = conn.read(new Uint8Array(64)).then(() => true, () => true);
    const late = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), timeoutMs));
    return await Promise.race([closed, late]);
  } catch {
    return true;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/**
 * A listener whose accept fails for want of descriptors (EMFILE) stops
 * accepting for good under Deno's node:net, without an error event. While the
 * listener accepts nothing, this probes it every `intervalMs`; two probes in a
 * row left unaccepted re-open the listening socket, so the server recovers by
 * itself once descriptors are free again.
 */
export class AcceptWatchdog {
  #accepted = false;
  #failures = 0;
  #busy = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: AcceptWatchdogOptions) {}

  /** Called for every accepted connection. */
  noteAccepted(): void {
    this.#accepted = true;
  }

  start(): void {
    // check() rejects only when relisten throws, which it must not; a rejection must not end the process.
    this.#timer = setInterval(() => this.check().catch(() => {}), this.options.intervalMs);
    Deno.unrefTimer(this.#timer);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One check; exposed for tests. Resolves to whether the listener was re-opened. */
  async check(): Promise<boolean> {
    if (this.#busy) return false;
    if (this.#accepted) {
      this.#accepted = false;
      this.#failures = 0;
      return false;
    }
    this.#busy = true;
    try {
      const answered = await probeListener(
        probeHost(this.options.host),
        this.options.port,
        this.options.probeTimeoutMs,
      );
      if (answered !== false || this.#accepted) {
        if (answered) this.#failures = 0;
        return false;
      }
      if (++this.#failures < 2) return false;
      this.#failures = 0;
      await this.options.relisten();
      return true;
    } finally {
      this.#busy = false;
    }
  }
}
