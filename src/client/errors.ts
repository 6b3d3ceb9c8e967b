/**
 * The client's two kinds of failure, each with its exit code: a usage error
 * (2) and a failure of the server, the network or the material (1).
 *
 * @module
 */

/** The command line is wrong: exit 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The server refused, the network failed, or what came back is unusable: exit 1. */
export class ClientFailure extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = "ClientFailure";
  }
}
