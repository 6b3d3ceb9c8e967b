/** Prints `text` (one trailing newline dropped) to stdout, or stderr, and returns `code` as the exit code. */
export function print(text: string, code: number, toStderr = false): number {
  (toStderr ? console.error : console.log)(text.replace(/\n$/, ""));
  return code;
}
