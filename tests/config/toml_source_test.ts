import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/errors.ts";
import { parseTomlSource } from "../../src/config/toml_source.ts";

const TEXT = `top = 1
[server]
bind = "127.0.0.1:8443"
"quoted.key" = 2
dotted.inner = 3
note = """
fake = 4
"""
after = 5

[[list]]
x = 1

[labels.iot]
validity_days = 7
`;

Deno.test("toml source: finds the line of keys, quoted and dotted keys, and tables", () => {
  const src = parseTomlSource("server.toml", TEXT);
  assert.equal(src.lineOf(["top"]), 1);
  assert.equal(src.lineOf(["server"]), 2);
  assert.equal(src.lineOf(["server", "bind"]), 3);
  assert.equal(src.lineOf(["server", "quoted.key"]), 4);
  assert.equal(src.lineOf(["server", "dotted", "inner"]), 5);
  assert.equal(src.lineOf(["server", "after"]), 9);
  assert.equal(src.lineOf(["list", "x"]), 12);
  assert.equal(src.lineOf(["labels", "iot", "validity_days"]), 15);
});

Deno.test("toml source: keys inside multi-line strings are not mistaken for keys", () => {
  const src = parseTomlSource("server.toml", TEXT);
  assert.equal(src.lineOf(["server", "fake"]), 2, "falls back to the table header");
});

Deno.test("toml source: unknown paths fall back to the nearest table, else undefined", () => {
  const src = parseTomlSource("server.toml", TEXT);
  assert.equal(src.lineOf(["labels", "iot", "nope"]), 14);
  assert.equal(src.lineOf(["nowhere"]), undefined);
  assert.equal(src.lineOf([]), undefined);
});

Deno.test("toml source: syntax errors become a ConfigError with file:line", () => {
  assert.throws(() => parseTomlSource("server.toml", "a = 1\nb = = 2\n"), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.issues[0].line, 2);
    assert.match(err.message, /^server\.toml:2: TOML syntax: /);
    return true;
  });
});
