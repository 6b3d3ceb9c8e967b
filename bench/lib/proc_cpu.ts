/** CPU time a process (all its threads) has used so far: utime + stime from /proc/<pid>/stat, in microseconds. */
export function cpuMicros(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / CLOCK_TICKS_PER_SECOND) * 1e6;
}

/** USER_HZ: 100 on every Linux architecture this runs on (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS_PER_SECOND = 100;

/** Runs `during` and returns its result with the CPU microseconds `pid` spent meanwhile. */
export async function withCpuOf<T>(
  pid: number,
  during: () => Promise<T>,
): Promise<{ result: T; cpuUs: number }> {
  const before = cpuMicros(pid);
  const result = await during();
  return { result, cpuUs: cpuMicros(pid) - before };
}
