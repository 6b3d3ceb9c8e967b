/**
 * Runs every ```sh block of the README and the installation guide, in order,
 * in a temporary copy of the repository whose config/ listens on free
 * loopback ports. A block marked `# docs-test: serves` starts the server and
 * stays running for the blocks after it; a block marked
 * `# docs-test: skip: <reason>` is not run, and is listed with its reason.
 * Rewritten before running: 127.0.0.1:8443 and :8453 to the free ports,
 * /etc/pki/est to the copy's config/; `pki-est-server` is the copy's main.ts.
 */
import assert from "node:assert/strict";
import { cp } from "node:fs/promises";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { fencedBlocks } from "../support/markdown.ts";
import { freePort } from "../support/server_process.ts";
import { tempDir } from "../support/temp.ts";

const root = new URL("../../", import.meta.url).pathname;
const DOCUMENTS = ["README.md", "docs/installation.md"];
const opts = { sanitizeOps: false, sanitizeResources: false };
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

interface Block {
  where: string;
  code: string;
  skip?: string;
  serves: boolean;
}

function blocks(): Block[] {
  return DOCUMENTS.flatMap((doc) =>
    fencedBlocks(Deno.readTextFileSync(join(root, doc)), "sh").map(({ line, code }) => {
      const skip = code.match(/^# docs-test: skip: (.+)$/m)?.[1];
      return { where: `${doc}:${line}`, code, skip, serves: /^# docs-test: serves$/m.test(code) };
    })
  );
}

/** A copy of what the server and its tasks need, config/ bound to `port` and metrics to `metricsPort`. */
async function repositoryCopy(port: number, metricsPort: number): Promise<string> {
  const repo = join(await tempDir({ prefix: "est-docs-" }), "repo");
  for (const name of ["main.ts", "deno.json", "deno.lock", "src", "tools", "config"]) {
    await cp(join(root, name), join(repo, name), {
      recursive: true,
      filter: (src) => !src.startsWith(join(root, "config", "state")),
    });
  }
  const toml = join(repo, "config", "server.toml");
  const text = await Deno.readTextFile(toml);
  await Deno.writeTextFile(
    toml,
    `${
      text.replace('"127.0.0.1:8443"', `"127.0.0.1:${port}"`)
    }\n[metrics]\nbind = "127.0.0.1:${metricsPort}"\n[publish]\nbind = "127.0.0.1:0"\n`,
  );
  const bin = join(repo, "test-bin");
  await Deno.mkdir(bin);
  await Deno.writeTextFile(
    join(bin, "pki-est-server"),
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A "${join(repo, "main.ts")}" "$@"\n`,
    { mode: 0o755 },
  );
  return repo;
}

Deno.test(
  "docs: every sh block of the README and the installation guide runs, or says why not",
  opts,
  async () => {
    const all = blocks();
    assert.ok(all.length >= 8, `${all.length} blocks`);
    for (const b of all) {
      assert.ok(
        b.skip === undefined || b.skip.trim().length > 10,
        `${b.where}: a skip marker needs a reason`,
      );
    }
    const port = freePort();
    const metricsPort = freePort();
    const repo = await repositoryCopy(port, metricsPort);
    const rewrite = (code: string) =>
      code.replaceAll("127.0.0.1:8443", `127.0.0.1:${port}`)
        .replaceAll("127.0.0.1:8453", `127.0.0.1:${metricsPort}`)
        .replaceAll("/etc/pki/est", join(repo, "config"));
    // A clean environment: the copy's processes must not report coverage of files that are deleted afterwards.
    const env = {
      PATH: `${join(repo, "test-bin")}:${Deno.env.get("PATH")}`,
      HOME: Deno.env.get("HOME") ?? repo,
      NO_COLOR: "1",
    };
    let server: { child: Deno.ChildProcess; where: string } | undefined;
    const ran: string[] = [];
    try {
      for (const block of all) {
        if (block.skip !== undefined) continue;
        const script = rewrite(block.code);
        if (block.serves) {
          assert.equal(server, undefined, `${block.where}: a second server`);
          // setsid: the block's processes (npx, deno task, deno) form a group that is stopped together.
          const child = new Deno.Command("setsid", {
            args: ["bash", "-c", script],
            cwd: repo,
            env,
            clearEnv: true,
            stdout: "null",
            stderr: "piped",
          }).spawn();
          server = { child, where: block.where };
          let up = false;
          for (let i = 0; i < 300 && !up; i++) {
            up = await curl(`https://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
            if (!up) await new Promise((r) => setTimeout(r, 100));
          }
          assert.ok(up, `${block.where}: the server did not come up on port ${port}`);
        } else {
          const out = await new Deno.Command("bash", {
            args: ["-e", "-o", "pipefail", "-c", script],
            cwd: repo,
            env,
            clearEnv: true,
            stdout: "piped",
            stderr: "piped",
          }).output();
          assert.equal(
            out.code,
            0,
            `${block.where} failed (exit ${out.code}):\n${script}\n--- stdout\n${
              decode(out.stdout)
            }\n--- stderr\n${decode(out.stderr)}`,
          );
        }
        ran.push(block.where);
      }
    } finally {
      if (server) {
        Deno.kill(-server.child.pid, "SIGTERM");
        await Promise.all([server.child.status, server.child.stderr.cancel()]);
      }
    }
    const skipped = all.filter((b) => b.skip !== undefined);
    console.log(`ran ${ran.length} blocks: ${ran.join(", ")}`);
    console.log(
      `skipped ${skipped.length} blocks:\n${skipped.map((b) => `  ${b.where}: ${b.skip}`).join("\n")}`,
    );
    assert.ok(ran.length >= 5, "most blocks run");
    assert.ok(server !== undefined, "a block starts the server");
  },
);
