/**
 * Lets one log line through per interval and counts the events in between,
 * so that a flood (of refused connections, say) costs one line per interval.
 */
export class LogThrottle {
  #suppressed = 0;
  #next = 0;

  constructor(private readonly intervalMs: number) {}

  /** The number of events this line stands for (this one included), or 0 when it must not be logged. */
  take(now = performance.now()): number {
    this.#suppressed++;
    if (now < this.#next) return 0;
    this.#next = now + this.intervalMs;
    const count = this.#suppressed;
    this.#suppressed = 0;
    return count;
  }
}
