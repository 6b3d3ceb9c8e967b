/**
 * Programs named by configuration (the external authoriser).
 *
 * @module
 */

import { accessSync, constants, statSync } from "node:fs";

/** Why `path` cannot be run, or undefined when it is an executable regular file. */
export function executableProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a regular file`;
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") return `${path} does not exist`;
    if (code === "EACCES") return `${path} is not executable`;
    return `${path} cannot be used: ${(err as Error).message}`;
  }
}
