import { UnavailableError } from "../errors.ts";

/**
 * At most `maxRunning` authoriser processes at once; up to `maxQueued`
 * further requests wait for a slot in arrival order, and any beyond that are
 * refused at once (503 with Retry-After) rather than forking without bound.
 */
export class ProcessSlots {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(private readonly maxRunning: number, private readonly maxQueued: number) {}

  /** Waits for a slot; resolves with the function that gives it back. */
  async acquire(): Promise<() => void> {
    if (this.#running < this.maxRunning) {
      this.#running++;
    } else {
      if (this.#waiting.length >= this.maxQueued) {
        throw new UnavailableError("Too many authorization requests in progress; retry later", 1);
      }
      // The slot passes straight from the releasing request to this one.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    };
  }
}
