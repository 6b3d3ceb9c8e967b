import assert from "node:assert/strict";
import { TrieRouter } from "hono/router/trie-router";
import { CachedRouter } from "../../src/est/cached_router.ts";

function routers() {
  const cached = new CachedRouter<string>();
  const plain = new TrieRouter<string>();
  for (const router of [cached, plain]) {
    router.add("ALL", "*", "every request");
    router.add("POST", "/.well-known/est/simpleenroll", "enroll");
    router.add("POST", "/.well-known/est/:label/simpleenroll", "labelled enroll");
    router.add("GET", "/.well-known/est/:label/cacerts", "labelled cacerts");
  }
  return { cached, plain };
}

/** What a match says: the handlers in order, each with the parameter values it sees. */
function said(result: ReturnType<TrieRouter<string>["match"]>): [string, Record<string, string>][] {
  const [handlers, stash] = result;
  return handlers.map(([handler, params]) => [
    handler,
    Object.fromEntries(
      Object.entries(params).map(([k, v]) => [k, stash ? stash[v as number] : v as string]),
    ),
  ]);
}

Deno.test("cached router: the same matches as the trie router, again and again, for every path", () => {
  const { cached, plain } = routers();
  const paths = [
    ["POST", "/.well-known/est/simpleenroll"],
    ["POST", "/.well-known/est/iot/simpleenroll"],
    ["POST", "/.well-known/est/other/simpleenroll"],
    ["GET", "/.well-known/est/iot/cacerts"],
    ["GET", "/.well-known/est/iot/simpleenroll"],
    ["POST", `/.well-known/est/${"x".repeat(1000)}/simpleenroll`],
    ["GET", "/nowhere"],
  ];
  for (let round = 0; round < 3; round++) {
    for (const [method, path] of paths) {
      assert.deepEqual(said(cached.match(method, path)), said(plain.match(method, path)), path);
    }
  }
  assert.deepEqual(said(cached.match("POST", "/.well-known/est/iot/simpleenroll")), [
    ["every request", {}],
    ["labelled enroll", { label: "iot" }],
  ]);
});

Deno.test("cached router: a flood of made-up paths is still answered right; a route added later is seen", () => {
  const { cached, plain } = routers();
  for (let i = 0; i < 2000; i++) {
    const path = `/.well-known/est/label-${i % 700}/simpleenroll`;
    assert.deepEqual(said(cached.match("POST", path)), said(plain.match("POST", path)));
  }
  assert.deepEqual(said(cached.match("GET", "/late")), [["every request", {}]]);
  cached.add("GET", "/late", "late route");
  assert.deepEqual(said(cached.match("GET", "/late")), [["every request", {}], ["late route", {}]]);
});
