/** A command line that cannot be run; the command exits 2 with the reason and the usage. */
export class UsageError extends Error {}
