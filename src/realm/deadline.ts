/** Raised when a dependency did not answer in time. */
export class DeadlineError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms / 1000} s`);
    this.name = "DeadlineError";
  }
}

/**
 * `work`, or a DeadlineError after `ms` (then `onTimeout` runs, to release
 * whatever `work` holds). Never leaves a timer behind.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  onTimeout?: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new DeadlineError(what, ms));
    }, ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
    // A late rejection of the abandoned work must not surface as unhandled.
    work.catch(() => {});
  }
}
