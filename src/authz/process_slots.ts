import { UnavailableError } from "../errors.ts";

/** Int32 indexes in the slots' shared memory. */
const RUNNING = 0;
const WAITING = 1;
/** How often a waiting request looks again, woken or not. */
const RECHECK_MS = 25;

/** Memory for the authoriser's slots, shared by every listener thread (and kept across reloads). */
export function processSlotMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

/**
 * At most `maxRunning` authoriser processes at once; up to `maxQueued`
 * further requests wait for a slot, and any beyond that are refused at once
 * (503 with Retry-After) rather than forking without bound. Both counts live
 * in `memory`, which the listener threads of a process share, so the caps
 * hold for the process whichever thread a request lands on; a waiting
 * request is woken when any thread frees a slot.
 */
export class ProcessSlots {
  readonly #counts: Int32Array;

  constructor(
    private readonly maxRunning: number,
    private readonly maxQueued: number,
    memory = processSlotMemory(),
  ) {
    this.#counts = new Int32Array(memory);
  }

  /** Waits for a slot; resolves with the function that gives it back. */
  async acquire(): Promise<() => void> {
    for (;;) {
      const running = Atomics.load(this.#counts, RUNNING);
      if (running < this.maxRunning) {
        if (Atomics.compareExchange(this.#counts, RUNNING, running, running + 1) === running) break;
        continue;
      }
      if (Atomics.add(this.#counts, WAITING, 1) >= this.maxQueued) {
        Atomics.sub(this.#counts, WAITING, 1);
        throw new UnavailableError("Too many authorization requests in progress; retry later", 1);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        // Until the count changes (a slot freed, here or on another thread); "not-equal" if it already has.
        // The timer keeps the event loop alive (a pending waitAsync does not) and bounds a missed wake-up.
        const wait = Atomics.waitAsync(this.#counts, RUNNING, running);
        if (wait.async) {
          await Promise.race([
            wait.value,
            new Promise((r) => timer = setTimeout(r, RECHECK_MS)),
          ]);
        }
      } finally {
        clearTimeout(timer);
        Atomics.sub(this.#counts, WAITING, 1);
      }
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      Atomics.sub(this.#counts, RUNNING, 1);
      Atomics.notify(this.#counts, RUNNING, 1);
    };
  }
}
