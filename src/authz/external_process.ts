import { getLogger } from "@logtape/logtape";
import type { ExternalProcessConfig } from "../config/components.ts";
import { InternalError } from "../errors.ts";
import { readBounded } from "../encoding/bounded_stream.ts";
import { ProcessSlots } from "./process_slots.ts";
import type { CheckResult } from "../realm/realm.ts";
import type { Authorizer, AuthzDecision, AuthzRequest } from "./authorizer.ts";

const log = getLogger(["est", "authz"]);

/** Output beyond this many bytes per stream is drained and dropped (the child never blocks); this much is logged. */
const OUTPUT_CAP = 8 * 1024;
/** What of a refusal reaches the client (and the audit record): one line of plain text. */
const MESSAGE_CAP = 1024;

/** A refusal message fit for an HTTP body: control characters and line breaks as spaces, one line, capped. */
export function clientMessage(output: string): string {
  // deno-lint-ignore no-control-regex
  const line = output.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").replace(/ {2,}/g, " ")
    .trim();
  return line.length <= MESSAGE_CAP ? line : `${line.slice(0, MESSAGE_CAP - 3)}...`;
}

/**
 * Dogtag's ExternalProcessRequestAuthorizer: runs `executable` with no
 * arguments and no shell, writes the request as compact JSON to its stdin,
 * and reads the verdict from its exit status (0 allows; otherwise stdout is the
 * refusal message). Output is read while the child runs. Each child runs in
 * a process group of its own, killed whole when the timeout expires (so a
 * grandchild it forked cannot outlive it), and at most `maxConcurrent` run
 * at once, with a bounded queue behind them.
 */
export class ExternalProcessAuthorizer implements Authorizer {
  readonly #slots: ProcessSlots;

  /** `slotMemory`: the process's authoriser slots (processSlotMemory), shared by its listener threads. */
  constructor(private readonly config: ExternalProcessConfig, slotMemory?: SharedArrayBuffer) {
    this.#slots = new ProcessSlots(config.maxConcurrent, config.maxQueued, slotMemory);
  }

  async authorize(request: AuthzRequest): Promise<AuthzDecision> {
    const release = await this.#slots.acquire();
    try {
      return await this.run(request);
    } finally {
      release();
    }
  }

  private async run(request: AuthzRequest): Promise<AuthzDecision> {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.config.executable, {
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        detached: true,
      }).spawn();
    } catch {
      return {
        allowed: false,
        message: `Caught exception while executing command: ${this.config.executable}`,
      };
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        killGroup(child);
        reject(new InternalError("Request validation timed out"));
      }, this.config.timeout * 1000);
    });
    const run = async (): Promise<AuthzDecision> => {
      const stdout = readOutput(child.stdout);
      const stderr = readOutput(child.stderr);
      await writeInput(child.stdin, authorizerInput(request));
      const [status, out, err] = await Promise.all([child.status, stdout, stderr]);
      log.debug("authorizer {executable} exited {code}", {
        executable: this.config.executable,
        code: status.code,
        stdout: out,
        stderr: err,
        requestId: request.requestId,
      });
      if (status.success) return { allowed: true, result: out };
      const message = clientMessage(out);
      return { allowed: false, message: message === "" ? "Request refused by the authorizer" : message };
    };
    try {
      return await Promise.race([run(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async health(): Promise<CheckResult> {
    try {
      const info = await Deno.stat(this.config.executable);
      const executable = info.isFile && ((info.mode ?? 0o755) & 0o111) !== 0;
      return executable ? { ok: true } : { ok: false, detail: "authorizer is not an executable file" };
    } catch {
      return { ok: false, detail: "authorizer executable not found" };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** SIGKILL to the child's process group (it leads one: spawned detached), else to the child alone. */
function killGroup(child: Deno.ChildProcess): void {
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
}

/** The JSON Dogtag writes to the authoriser's stdin, field for field. */
export function authorizerInput(request: AuthzRequest): string {
  const { authzData } = request;
  const b64 = (der: Uint8Array<ArrayBuffer>) => der.toBase64();
  return JSON.stringify({
    operation: request.operation,
    authzData: {
      remoteAddr: authzData.remoteAddr,
      label: authzData.label,
      principal: { name: authzData.principal.name, roles: authzData.principal.roles },
      clientCertChain: authzData.clientCertChain?.map(b64),
    },
    csr: request.csr && b64(request.csr),
    toBeRenewed: request.toBeRenewed && b64(request.toBeRenewed),
    cmcRequest: request.cmcRequest && b64(request.cmcRequest),
  });
}

async function writeInput(stdin: WritableStream<Uint8Array<ArrayBuffer>>, json: string): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(json));
    await writer.close();
  } catch {
    // The child exited without reading its input; its exit status still decides.
  }
}

/** The process's output as text, at most OUTPUT_CAP bytes of it (the rest is read and dropped). */
async function readOutput(stream: ReadableStream<Uint8Array<ArrayBuffer>>): Promise<string> {
  return new TextDecoder().decode((await readBounded(stream, OUTPUT_CAP, "drain")).bytes);
}
