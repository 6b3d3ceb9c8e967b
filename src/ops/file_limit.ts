/** Descriptors kept for what is not a client connection: files, the store, pipes to the authoriser, the CA. */
export const RESERVED_DESCRIPTORS = 64;

/** The soft RLIMIT_NOFILE of this process from /proc/self/limits, or undefined where that is not readable. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = Deno.readTextFileSync("/proc/self/limits");
    } catch {
      return undefined;
    }
  }
  const line = text.split("\n").find((l) => l.startsWith("Max open files"));
  const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
  if (soft === undefined) return undefined;
  return soft === "unlimited" ? Infinity : Number(soft);
}

/**
 * Why the descriptor limit does not fit `connections` open connections (all
 * listener threads together) plus RESERVED_DESCRIPTORS; undefined when it does
 * or cannot be read.
 */
export function fileLimitProblem(connections: number, limit = openFileLimit()): string | undefined {
  if (limit === undefined || !Number.isFinite(limit)) return undefined;
  const needed = connections + RESERVED_DESCRIPTORS;
  if (limit >= needed) return undefined;
  return `the open-file limit (RLIMIT_NOFILE ${limit}) is below the ${needed} descriptors that ` +
    `${connections} connections need: lower [server] max_connections or raise the limit (LimitNOFILE=, ulimit -n)`;
}
