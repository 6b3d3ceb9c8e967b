import assert from "node:assert/strict";
import { parseProperties, PropertiesSyntaxError } from "../../src/config/properties.ts";

function values(text: string): Record<string, string> {
  return Object.fromEntries([...parseProperties(text)].map(([k, e]) => [k, e.value]));
}

Deno.test("properties: separators '=', ':' and whitespace, with surrounding blanks", () => {
  assert.deepEqual(values("a=1\nb : 2\nc 3\n  d\t=\t4  \ne:5\nf\n"), {
    a: "1",
    b: "2",
    c: "3",
    d: "4  ",
    e: "5",
    f: "",
  });
});

Deno.test("properties: '#' and '!' comments and blank lines are skipped", () => {
  assert.deepEqual(values("# comment\n! also\n\n   \n  # indented\nkey=value # not a comment\n"), {
    key: "value # not a comment",
  });
});

Deno.test("properties: backslash continuations drop the leading blanks of the next line", () => {
  const parsed = parseProperties("first=a,\\\n    b,\\\n\tc\nsecond=x\n");
  assert.equal(parsed.get("first")?.value, "a,b,c");
  assert.equal(parsed.get("first")?.line, 1);
  assert.equal(parsed.get("second")?.line, 4);
});

Deno.test("properties: an even run of backslashes does not continue the line", () => {
  assert.deepEqual(values("path=C:\\\\\nnext=1"), { path: "C:\\", next: "1" });
});

Deno.test("properties: a trailing continuation on the last line is dropped", () => {
  assert.deepEqual(values("k=v\\"), { k: "v" });
});

Deno.test("properties: a comment line ending in a backslash does not continue", () => {
  assert.deepEqual(values("# comment \\\nk=v"), { k: "v" });
});

Deno.test("properties: escapes in keys and values, including \\uXXXX", () => {
  assert.deepEqual(values("a\\=b\\:c\\ d=1\nv=tab\\there\\nnl\\r\\f\\u00e9\\\\\\q\nempty\\"), {
    "a=b:c d": "1",
    v: "tab\there\nnl\r\f\u00e9\\q",
    empty: "",
  });
});

Deno.test("properties: CR and CRLF line endings", () => {
  assert.deepEqual(values("a=1\r\nb=2\rc=3"), { a: "1", b: "2", c: "3" });
});

Deno.test("properties: a later duplicate wins and keeps its own line", () => {
  const parsed = parseProperties("k=1\nk=2\n");
  assert.deepEqual(parsed.get("k"), { value: "2", line: 2 });
});

Deno.test("properties: a malformed \\u escape names its line", () => {
  assert.throws(() => parseProperties("ok=1\nbad=\\u12G4\n"), (err: unknown) => {
    assert.ok(err instanceof PropertiesSyntaxError);
    assert.equal(err.line, 2);
    assert.match(err.message, /malformed \\uXXXX/);
    return true;
  });
});

Deno.test("properties: a key ending in an escape at end of line", () => {
  assert.deepEqual(values("key\\ "), { "key ": "" });
});
