/** Raw TCP connections that never start TLS, held open until closed. */
export class IdleConnections {
  readonly #conns: Deno.TcpConn[] = [];

  /** Opens up to `count` connections to 127.0.0.1:`port`; resolves with how many opened. */
  async open(port: number, count: number): Promise<number> {
    for (let i = 0; i < count; i++) {
      try {
        this.#conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      } catch {
        break;
      }
    }
    return this.#conns.length;
  }

  /** How many of the connections the server has closed (read EOF or reset within `waitMs`). */
  async closedByServer(waitMs: number): Promise<number> {
    const outcomes = await Promise.all(this.#conns.map((conn) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), waitMs));
      const closed = conn.read(new Uint8Array(16)).then((n) => n === null, () => true);
      return Promise.race([closed, late]).finally(() => clearTimeout(timer));
    }));
    return outcomes.filter(Boolean).length;
  }

  close(): void {
    for (const conn of this.#conns.splice(0)) {
      try {
        conn.close();
      } catch { /* closed already */ }
    }
  }
}

/** VmRSS of process `pid` in KiB, from /proc/<pid>/status. */
export function residentKib(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}
