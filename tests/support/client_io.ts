import { readFileSync } from "node:fs";
import type { ClientIo } from "../../src/client/io.ts";
import { runClient } from "../../src/client/cli.ts";

/** What one in-process client run printed and returned. */
export interface ClientRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The prompts shown (bootstrap confirmation). */
  prompts: string[];
  /** The waits asked for, in milliseconds (202 retries). */
  sleeps: number[];
}

/** Options of a fake terminal: the answer typed at a prompt, the environment. */
export interface FakeTerminal {
  answer?: string | null;
  env?: Record<string, string>;
}

/** Runs the client in-process with captured output and a scripted terminal; waits really happen. */
export async function runClientCaptured(args: string[], terminal: FakeTerminal = {}): Promise<ClientRun> {
  const run: ClientRun = { code: -1, stdout: "", stderr: "", prompts: [], sleeps: [] };
  const io: ClientIo = {
    stdout: { write: (text) => void (run.stdout += text) },
    stderr: { write: (text) => void (run.stderr += text) },
    readLine: (prompt) => {
      run.prompts.push(prompt);
      return Promise.resolve(terminal.answer ?? null);
    },
    env: (name) => terminal.env?.[name],
    readTextFile: (path) => readFileSync(path, "utf8"),
    sleep: (ms) => {
      run.sleeps.push(ms);
      return new Promise((resolve) => setTimeout(resolve, ms));
    },
  };
  run.code = await runClient(args, io);
  return run;
}
