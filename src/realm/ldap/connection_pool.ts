import { DeadlineError } from "../deadline.ts";

/** How a pool opens, checks and closes its connections. */
export interface PoolOptions<T> {
  open(): Promise<T>;
  close(connection: T): Promise<void>;
  /** False for a connection the peer has closed. */
  isOpen(connection: T): boolean;
  /** Connections kept open when idle. */
  min: number;
  /** Connections open at once, busy or idle. */
  max: number;
  /** How long a caller waits for a connection when all `max` are busy. */
  acquireTimeoutMs: number;
  /** Idle connections above `min` are closed after this long. */
  idleMs: number;
}

interface Idle<T> {
  connection: T;
  since: number;
}

/**
 * A bounded pool of connections. A connection that failed is closed rather
 * than returned, so a restarted peer is reconnected to on the next use.
 */
export class ConnectionPool<T> {
  readonly #options: PoolOptions<T>;
  #idle: Idle<T>[] = [];
  #open = 0;
  #waiters: (() => void)[] = [];
  #closed = false;
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(options: PoolOptions<T>) {
    this.#options = options;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(1000, options.idleMs / 2));
    Deno.unrefTimer(this.#sweeper);
  }

  /** Connections open now (busy and idle). */
  get size(): number {
    return this.#open;
  }

  /**
   * Runs `work` on a connection. When `work` throws, the connection is closed
   * (it may be half-way through something), and the error passes on.
   */
  async use<R>(work: (connection: T) => Promise<R>): Promise<R> {
    const connection = await this.#acquire();
    let healthy = false;
    try {
      const result = await work(connection);
      healthy = true;
      return result;
    } finally {
      this.#release(connection, healthy);
    }
  }

  /** Closes every idle connection now and each busy one when it is released. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const idle = this.#idle.splice(0);
    this.#open -= idle.length;
    await Promise.allSettled(idle.map((i) => this.#options.close(i.connection)));
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #acquire(): Promise<T> {
    const deadline = Date.now() + this.#options.acquireTimeoutMs;
    while (!this.#closed) {
      const idle = this.#idle.pop();
      if (idle !== undefined) {
        if (this.#options.isOpen(idle.connection)) return idle.connection;
        this.#discard(idle.connection);
        continue;
      }
      if (this.#open < this.#options.max) {
        this.#open++;
        try {
          return await this.#options.open();
        } catch (err) {
          this.#open--;
          this.#wakeOne();
          throw err;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#waitForRelease(left))) {
        throw new DeadlineError("the connection pool (all connections busy)", this.#options.acquireTimeoutMs);
      }
    }
    throw new Error("the connection pool is closed");
  }

  #waitForRelease(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve(false);
      }, ms);
      this.#waiters.push(wake);
    });
  }

  #release(connection: T, healthy: boolean): void {
    if (healthy && !this.#closed && this.#options.isOpen(connection)) {
      this.#idle.push({ connection, since: Date.now() });
    } else {
      this.#discard(connection);
    }
    this.#wakeOne();
  }

  #discard(connection: T): void {
    this.#open--;
    this.#options.close(connection).catch(() => {});
  }

  #wakeOne(): void {
    this.#waiters.shift()?.();
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#options.idleMs;
    while (this.#idle.length > this.#options.min && this.#idle[0].since < cutoff) {
      this.#discard(this.#idle.shift()!.connection);
    }
  }
}
