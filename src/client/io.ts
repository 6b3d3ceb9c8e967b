/**
 * The client's contact with its surroundings, injected so tests can drive it
 * in-process: output streams, the terminal prompt, environment, files.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { TextSink } from "./output.ts";

/** Streams, prompt, environment and file reading the client uses. */
export interface ClientIo {
  stdout: TextSink;
  stderr: TextSink;
  /** Shows `prompt` and reads one line of an answer; null at end of input. */
  readLine(prompt: string): Promise<string | null>;
  env(name: string): string | undefined;
  readTextFile(path: string): string;
  sleep(ms: number): Promise<void>;
}

/** The process's own streams, stdin and environment. */
export function processIo(): ClientIo {
  const encoder = new TextEncoder();
  return {
    stdout: { write: (text) => void Deno.stdout.writeSync(encoder.encode(text)) },
    stderr: { write: (text) => void Deno.stderr.writeSync(encoder.encode(text)) },
    readLine: async (prompt) => {
      Deno.stderr.writeSync(encoder.encode(prompt));
      return await readStdinLine();
    },
    env: (name) => Deno.env.get(name),
    readTextFile: (path) => readFileSync(path, "utf8"),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** One line from stdin, read byte by byte so nothing past the line is consumed. */
async function readStdinLine(): Promise<string | null> {
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  while (bytes.length < 1024) {
    const n = await Deno.stdin.read(one);
    if (n === null) return bytes.length === 0 ? null : new TextDecoder().decode(new Uint8Array(bytes));
    if (one[0] === 0x0a) break;
    bytes.push(one[0]);
  }
  return new TextDecoder().decode(new Uint8Array(bytes)).replace(/\r$/, "");
}
