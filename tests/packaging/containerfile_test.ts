import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { loadConfig } from "../../src/config/load.ts";
import { serverTomlSchema } from "../../src/config/schema.ts";
import { INSTALLED_STATE_DIR } from "../../tools/stage.ts";

const root = new URL("../../", import.meta.url).pathname;
const defaults = serverTomlSchema.parse({});

interface Stage {
  from: string;
  name?: string;
  instructions: { op: string; args: string }[];
}

/** The Containerfile as stages of instructions (continuation lines joined, comments dropped). */
function stages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) =>
    l && !l.startsWith("#")
  );
  const result: Stage[] = [];
  for (const line of lines) {
    const [, op, args] = line.match(/^(\w+)\s+(.*)$/)!;
    if (op.toUpperCase() === "FROM") {
      const [, from, name] = args.match(/^(\S+)(?:\s+AS\s+(\S+))?$/i)!;
      result.push({ from, name, instructions: [] });
    } else if (result.length > 0) {
      result.at(-1)!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return result;
}

Deno.test("Containerfile: builds in one stage, runs the binary as nonroot on distroless cc in the other", () => {
  const all = stages(Deno.readTextFileSync(join(root, "Containerfile")));
  assert.equal(all.length, 2);
  const [builder, final] = all;
  assert.equal(builder.name, "builder");
  assert.ok(builder.instructions.some((i) => i.op === "RUN" && /deno task compile/.test(i.args)));
  assert.match(final.from, /^gcr\.io\/distroless\/cc-debian\d+(:nonroot)?$/);
  const of = (op: string) => final.instructions.filter((i) => i.op === op).map((i) => i.args);
  assert.deepEqual(of("USER"), ["nonroot"]);
  assert.ok(of("COPY").some((a) => /^--from=builder \S*\/libcrypto\.so\.3 \S*\/libcrypto\.so\.3$/.test(a)));
  assert.ok(of("COPY").some((a) => /^--from=builder \S+\/pki-est-server \/pki-est-server$/.test(a)));
  assert.deepEqual(of("EXPOSE"), [`${defaults.server.bind.port}/tcp ${defaults.metrics.bind.port}/tcp`]);
  assert.deepEqual(of("VOLUME"), [JSON.stringify([INSTALLED_STATE_DIR])]);
  assert.deepEqual(of("ENV"), ["EST_CONFIG_DIR=/etc/pki/est"]);
  assert.deepEqual(of("ENTRYPOINT"), ['["/pki-est-server"]']);
  const [healthcheck] = of("HEALTHCHECK");
  const command = JSON.parse(healthcheck.slice(healthcheck.indexOf("CMD") + 3));
  assert.deepEqual(command, [
    "/pki-est-server",
    "health",
    "--url",
    `https://127.0.0.1:${defaults.server.bind.port}/health`,
  ]);
  // distroless has no shell and no curl: nothing in the final stage may need them.
  for (const i of final.instructions) {
    assert.notEqual(i.op, "RUN", "the final stage runs nothing at build time");
    assert.doesNotMatch(i.args, /\b(curl|wget|sh -c)\b/);
  }
});

Deno.test("Containerfile: the image's server.toml listens on the exposed ports and keeps state in the volume", async () => {
  const copied = stages(Deno.readTextFileSync(join(root, "Containerfile")))[1].instructions
    .find((i) => i.op === "COPY" && i.args.endsWith(" /etc/pki/est/server.toml"))!.args.split(" ")[0];
  const toml = serverTomlSchema.parse(parseToml(await Deno.readTextFile(join(root, copied))));
  assert.deepEqual(toml.server.bind, { host: "0.0.0.0", port: defaults.server.bind.port });
  assert.deepEqual(toml.metrics.bind, { host: "0.0.0.0", port: defaults.metrics.bind.port });
  assert.equal(toml.server.state_dir, INSTALLED_STATE_DIR);
  // What check-config runs: the whole directory loads.
  assert.equal(loadConfig(join(root, copied, "..")).server.state_dir, INSTALLED_STATE_DIR);
});

Deno.test("Containerfile: the health check's subcommand is one the binary has", () => {
  const main = Deno.readTextFileSync(join(root, "main.ts"));
  assert.match(main, /^\s+pki-est-server health \[--url URL\]/m, "in the usage text");
  assert.match(main, /^\s+health: \{/m, "dispatched");
});
