import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSettings } from "../../src/config/boundary.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { responseLayout } from "../../src/est/labels.ts";
import { tempDir } from "../support/temp.ts";

async function configDir(toml: string): Promise<string> {
  const dir = await tempDir({ prefix: "est-label-layout-" });
  await Deno.writeTextFile(join(dir, "server.toml"), toml);
  return dir;
}

Deno.test("config: a label may set its own base64 line length and ending", async () => {
  const settings = await loadSettings(
    await configDir(
      '[est]\nbase64_line_length = 0\n[labels.libest]\nbase64_line_length = 64\nbase64_line_ending = "crlf"\n' +
        "[labels.wide]\nbase64_line_length = 76\n[labels.plain]\n",
    ),
  );
  const server = settings.est.layout;
  assert.deepEqual(server, { lineLength: 0, lineEnding: "lf" });
  assert.deepEqual(responseLayout(settings.labels.libest, server), { lineLength: 64, lineEnding: "crlf" });
  assert.deepEqual(responseLayout(settings.labels.wide, server), { lineLength: 76, lineEnding: "lf" });
  assert.deepEqual(responseLayout(settings.labels.plain, server), server);
  assert.deepEqual(responseLayout(undefined, server), server);
});

Deno.test("config: a label's base64 layout is checked like [est]'s", async () => {
  const dir = await configDir(
    '[labels.x]\nbase64_line_length = 70\nbase64_line_ending = "cr"\n[labels.y]\nbase64_line_length = 2048\n',
  );
  const err = await loadSettings(dir).then(() => undefined, (e) => e);
  assert.ok(err instanceof ConfigError, String(err));
  const lines = err.message.split("\n").map((l: string) => l.replace(`${dir}/`, ""));
  assert.deepEqual(lines, [
    "server.toml:2: labels.x.base64_line_length: must be 0 (no wrapping) or a multiple of 4",
    'server.toml:3: labels.x.base64_line_ending: must be "lf" or "crlf"',
    "server.toml:5: labels.y.base64_line_length: must be at most 1024",
  ]);
});
