import assert from "node:assert/strict";

/** The project's own modules and what each imports, from `deno info --json main.ts`. */
async function moduleGraph(): Promise<Map<string, string[]>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success, "deno info failed");
  const root = new URL("../", import.meta.url).href;
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
    }[];
  };
  const graph = new Map<string, string[]>();
  for (const m of info.modules) {
    if (!m.specifier.startsWith(root)) continue;
    const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier])
      .filter((s): s is string => s !== undefined && s.startsWith(root));
    graph.set(m.specifier.slice(root.length), deps.map((s) => s.slice(root.length)));
  }
  return graph;
}

/** One import cycle, as the modules on it, or undefined when there is none. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    if (!state.has(node)) {
      const cycle = visit(node);
      if (cycle) return cycle;
    }
  }
  return undefined;
}

const graph = await moduleGraph();

Deno.test("architecture: no import cycle among the project's modules", () => {
  assert.ok(graph.size > 50, "the module graph was read");
  assert.equal(findCycle(graph)?.join(" -> "), undefined);
});

Deno.test("architecture: the PKI, backend, realm and authoriser layers do not import the HTTP layer", () => {
  const offenders = [...graph].filter(([module]) =>
    /^src\/(pki|backend|realm|authz|crypto|der|encoding)\//.test(module)
  )
    .flatMap(([module, deps]) =>
      deps.filter((d) => d.startsWith("src/est/")).map((d) => `${module} -> ${d}`)
    );
  assert.deepEqual(offenders, []);
});

Deno.test("architecture: a cycle is found when there is one", () => {
  const cyclic = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]]);
  assert.deepEqual(findCycle(cyclic), ["a", "b", "c", "a"]);
  assert.equal(findCycle(new Map([["a", ["b"]], ["b", []]])), undefined);
});
