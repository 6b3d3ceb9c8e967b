import assert from "node:assert/strict";
import { join } from "node:path";
import type { AuthzRequest } from "../../src/authz/authorizer.ts";
import {
  authorizerInput,
  clientMessage,
  ExternalProcessAuthorizer,
} from "../../src/authz/external_process.ts";
import { InternalError, UnavailableError } from "../../src/errors.ts";
import { processSlotMemory, ProcessSlots } from "../../src/authz/process_slots.ts";
import { tempDir } from "../support/temp.ts";

const tmp = await tempDir({ prefix: "est-authz-" });

async function script(name: string, body: string): Promise<string> {
  const path = join(tmp, name);
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

function authorizer(
  executable: string,
  timeout = 3,
  slots = { maxConcurrent: 8, maxQueued: 64 },
): ExternalProcessAuthorizer {
  return new ExternalProcessAuthorizer({
    kind: "external-process",
    executable,
    timeout,
    enrollMatchTLSSubjSAN: true,
    ...slots,
  });
}

const request: AuthzRequest = {
  operation: "simpleenroll",
  authzData: {
    principal: { name: "est-test-user", roles: ["EST Users"], method: "password" },
    remoteAddr: "10.0.0.5",
    label: "0b9a7f6e-1111-2222-3333-444455556666",
  },
  csr: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
  requestId: "req-1",
};

Deno.test("authorizer input: Dogtag's JSON, compact, absent fields omitted", () => {
  assert.equal(
    authorizerInput(request),
    '{"operation":"simpleenroll","authzData":{"remoteAddr":"10.0.0.5","label":"0b9a7f6e-1111-2222-3333-444455556666","principal":{"name":"est-test-user","roles":["EST Users"]}},"csr":"MAMCAQE="}',
  );
  const renewal = authorizerInput({
    ...request,
    operation: "simplereenroll",
    authzData: {
      ...request.authzData,
      label: undefined,
      clientCertChain: [new Uint8Array([1]), new Uint8Array([2])],
    },
    toBeRenewed: new Uint8Array([3]),
  });
  assert.equal(
    renewal,
    '{"operation":"simplereenroll","authzData":{"remoteAddr":"10.0.0.5","principal":{"name":"est-test-user","roles":["EST Users"]},"clientCertChain":["AQ==","Ag=="]},"csr":"MAMCAQE=","toBeRenewed":"Aw=="}',
  );
  assert.match(
    authorizerInput({ ...request, operation: "fullcmc", csr: undefined, cmcRequest: new Uint8Array([9]) }),
    /"cmcRequest":"CQ=="}$/,
  );
});

Deno.test("authorizer: exit 0 allows; the child reads exactly the JSON on stdin", async () => {
  const seen = join(tmp, "seen.json");
  const decision = await authorizer(await script("allow.sh", `cat > ${seen}; echo ok`)).authorize(request);
  assert.deepEqual(decision, { allowed: true, result: "ok\n" });
  assert.equal(await Deno.readTextFile(seen), authorizerInput(request));
});

Deno.test("authorizer: Dogtag's estauthz allows the role and refuses others with its message", async () => {
  const estauthz = new URL("../support/estauthz.py", import.meta.url).pathname;
  const withRole = {
    ...request,
    authzData: { ...request.authzData, principal: { ...request.authzData.principal, roles: ["estclient"] } },
  };
  assert.equal((await authorizer(estauthz).authorize(withRole)).allowed, true);
  assert.deepEqual(await authorizer(estauthz).authorize(request), {
    allowed: false,
    message: "Principal does not have required role 'estclient'",
  });
});

Deno.test("authorizer: a non-zero exit refuses with stdout, or a default message", async () => {
  assert.deepEqual(await authorizer(await script("deny.sh", "echo 'not today'; exit 3")).authorize(request), {
    allowed: false,
    message: "not today",
  });
  assert.deepEqual(await authorizer(await script("quiet.sh", "exit 1")).authorize(request), {
    allowed: false,
    message: "Request refused by the authorizer",
  });
});

Deno.test("authorizer: a child that ignores stdin is judged by its exit status", async () => {
  const big = { ...request, csr: new Uint8Array(512 * 1024) };
  assert.equal((await authorizer(await script("noread.sh", "exit 0")).authorize(big)).allowed, true);
});

Deno.test("authorizer: timeout kills the child and is a 500", async () => {
  const pidFile = join(tmp, "pid");
  const slow = await script("slow.sh", `echo $$ > ${pidFile}; exec sleep 30`);
  const started = performance.now();
  await assert.rejects(authorizer(slow, 1).authorize(request), (err: unknown) => {
    assert.ok(err instanceof InternalError);
    assert.equal(err.message, "Request validation timed out");
    return true;
  });
  assert.ok(performance.now() - started < 5000);
  const pid = Number(await Deno.readTextFile(pidFile));
  await new Promise((r) => setTimeout(r, 100));
  const alive = new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" }).outputSync().success;
  assert.equal(alive, false, "the child was killed");
});

Deno.test("authorizer: large output is read while the child runs (no 64 KiB deadlock) and capped", async () => {
  const chatty = await script("chatty.sh", "head -c 300000 /dev/zero | tr '\\0' 'x'; exit 1");
  const decision = await authorizer(chatty, 2).authorize(request);
  assert.equal(decision.allowed, false);
  assert.equal(
    decision.allowed === false && decision.message,
    `${"x".repeat(1021)}...`,
    "1 KiB to the client",
  );
  const flood = await script(
    "flood.sh",
    "head -c 3000000 /dev/zero | tr '\\0' 'y'; head -c 200000 /dev/zero >&2; exit 1",
  );
  const capped = await authorizer(flood, 5).authorize(request);
  assert.equal(capped.allowed === false && capped.message.length, 1024);
  const allowed = await authorizer(await script("allowchatty.sh", "head -c 300000 /dev/zero; exit 0"), 5)
    .authorize(request);
  assert.equal(allowed.allowed && allowed.result.length, 8 * 1024, "8 KiB kept for the log");
});

Deno.test("authorizer: the refusal reaching the client is one line of plain text", async () => {
  const multi = await script("multi.sh", "printf 'line one\\r\\n\\033[31mline two\\000\\n\\n'; exit 1");
  assert.deepEqual(await authorizer(multi).authorize(request), {
    allowed: false,
    message: "line one [31mline two",
  });
  assert.equal(clientMessage(" \n\t "), "");
});

Deno.test("authorizer: timeout kills the whole process group, grandchildren included", async () => {
  const pidFile = join(tmp, "grandchild.pid");
  const forking = await script("forking.sh", `cat > /dev/null; sleep 30 & echo $! > ${pidFile}; wait`);
  await assert.rejects(authorizer(forking, 1).authorize(request), InternalError);
  const pid = Number(await Deno.readTextFile(pidFile));
  await new Promise((r) => setTimeout(r, 200));
  // Gone, or a zombie left for init to reap (a container's init may never do so).
  const state = await Deno.readTextFile(`/proc/${pid}/stat`).then((s) => s.split(") ")[1]?.[0], () => "gone");
  assert.ok(state === "gone" || state === "Z", `the grandchild was killed (state ${state})`);
});

Deno.test("authorizer: concurrent processes are capped, a bounded queue waits, the rest get 503", async () => {
  const countFile = join(tmp, "running");
  await Deno.writeTextFile(countFile, "");
  const slow = await script("counting.sh", `cat > /dev/null; echo x >> ${countFile}; sleep 0.5; exit 0`);
  const capped = authorizer(slow, 10, { maxConcurrent: 2, maxQueued: 2 });
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => capped.authorize(request)));
  const refused = results.filter((r) => r.status === "rejected");
  assert.equal(refused.length, 2, "two beyond 2 running and 2 queued");
  for (const r of refused) {
    const err = (r as PromiseRejectedResult).reason;
    assert.ok(err instanceof UnavailableError);
    assert.equal(err.headers["Retry-After"], "1");
  }
  assert.equal(results.filter((r) => r.status === "fulfilled" && r.value.allowed).length, 4);
  assert.equal((await Deno.readTextFile(countFile)).length, 8, "four processes ran");
});

Deno.test("authorizer: two threads' authorisers over one memory share the process cap and queue", async () => {
  const log = join(tmp, "overlap");
  await Deno.writeTextFile(log, "");
  const slow = await script(
    "overlap.sh",
    `cat > /dev/null; echo s >> ${log}; sleep 0.4; echo e >> ${log}; exit 0`,
  );
  const memory = processSlotMemory();
  const slots = { maxConcurrent: 2, maxQueued: 2 };
  const threads = [0, 1].map(() =>
    new ExternalProcessAuthorizer({
      kind: "external-process",
      executable: slow,
      timeout: 10,
      enrollMatchTLSSubjSAN: true,
      ...slots,
    }, memory)
  );
  const results = await Promise.allSettled(
    Array.from({ length: 6 }, (_, i) => threads[i % 2].authorize(request)),
  );
  assert.equal(results.filter((r) => r.status === "rejected").length, 2, "2 running and 2 waiting in all");
  let running = 0;
  let most = 0;
  for (const event of (await Deno.readTextFile(log)).trim().split("\n")) {
    running += event === "s" ? 1 : -1;
    most = Math.max(most, running);
  }
  assert.equal(most, 2, "never more than 2 at once between both");
});

Deno.test("authorizer slots: a request waiting on one thread gets the slot another thread frees", async () => {
  const memory = processSlotMemory();
  const worker = new Worker(new URL("../support/process_slots_worker.ts", import.meta.url), {
    type: "module",
  });
  try {
    const said = (word: string) =>
      new Promise<void>((resolve) => worker.addEventListener("message", (e) => e.data === word && resolve()));
    const held = said("held");
    const released = said("released");
    worker.postMessage({ memory, holdMs: 300 });
    await held;
    const started = performance.now();
    const release = await new ProcessSlots(1, 4, memory).acquire();
    const waited = performance.now() - started;
    release();
    assert.ok(waited >= 200, `waited ${waited.toFixed(0)} ms for the other thread's slot`);
    await released;
    await assert.rejects(
      async () => {
        const slots = new ProcessSlots(1, 0, memory);
        const first = await slots.acquire();
        try {
          await slots.acquire();
        } finally {
          first();
        }
      },
      UnavailableError,
      "no queue: refused at once",
    );
  } finally {
    worker.terminate();
  }
});

Deno.test("authorizer: a missing executable refuses with Dogtag's message", async () => {
  const missing = join(tmp, "missing");
  assert.deepEqual(await authorizer(missing).authorize(request), {
    allowed: false,
    message: `Caught exception while executing command: ${missing}`,
  });
});

Deno.test("authorizer: health tells whether the executable can run", async () => {
  assert.deepEqual(await authorizer(await script("h.sh", "exit 0")).health(), { ok: true });
  const plain = join(tmp, "plain");
  await Deno.writeTextFile(plain, "x");
  await Deno.chmod(plain, 0o644);
  assert.deepEqual(await authorizer(plain).health(), {
    ok: false,
    detail: "authorizer is not an executable file",
  });
  assert.deepEqual(await authorizer(join(tmp, "none")).health(), {
    ok: false,
    detail: "authorizer executable not found",
  });
  await authorizer(plain).close();
});
