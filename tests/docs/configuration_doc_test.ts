import assert from "node:assert/strict";
import { componentClasses, type ComponentRole, componentSchema } from "../../src/config/components.ts";
import { serverTomlSchema } from "../../src/config/schema.ts";
import { documentedKeys, type MarkdownSection, markdownSections } from "../support/markdown.ts";

const DOC = "docs/configuration.md";
const sections = markdownSections(
  Deno.readTextFileSync(new URL(`../../${DOC}`, import.meta.url)),
);

/** The keys of a zod object, through defaults, optionals, pipes, records and refinements. */
// deno-lint-ignore no-explicit-any
function objectKeys(schema: any, depth = 0): string[] | undefined {
  if (!schema || depth > 12) return undefined;
  if (schema.shape) return Object.keys(schema.shape);
  const def = schema._zod?.def;
  // A pipe's object may be on either side: after a preprocess step it is the output.
  for (const next of [def?.innerType, def?.in, def?.out, def?.valueType, def?.schema]) {
    const keys = objectKeys(next, depth + 1);
    if (keys) return keys;
  }
  return undefined;
}

/** What is missing from (or stale in) `section` for a schema's keys, as messages naming the key. */
function drift(what: string, section: MarkdownSection, keys: string[]): string[] {
  const documented = documentedKeys(section);
  const isDocumented = (key: string) =>
    documented.has(key) || [...documented].some((d) => d.startsWith(`${key}.`));
  const problems = keys.filter((key) => !isDocumented(key)).map((key) =>
    `${DOC}: ${what} key \`${key}\` is not documented: add a row | \`${key}\` | default | meaning | ` +
    `under "### ${section.heading}"`
  );
  const rowKeys = [...documented].filter((d) => /^[A-Za-z_][\w.]*$/.test(d) && !d.includes("<"));
  for (const key of rowKeys) {
    if (!keys.includes(key) && !keys.includes(key.split(".")[0])) {
      problems.push(`${DOC}: "### ${section.heading}" documents \`${key}\`, which ${what} does not have`);
    }
  }
  return problems;
}

Deno.test("configuration.md documents every key of every server.toml section, and no key that is gone", () => {
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(serverTomlSchema.shape)) {
    if (["backend", "realm", "authorizer"].includes(name)) continue; // the components, below
    const keys = objectKeys(schema);
    assert.ok(keys, `server.toml [${name}] is not an object schema`);
    const heading = name === "labels" ? "`[labels.<name>]`" : `\`[${name}]\``;
    const section = sections.find((s) => s.heading === heading);
    if (section === undefined) {
      problems.push(
        `${DOC}: no section "### ${heading}" for server.toml's [${name}] (keys: ${keys.join(", ")})`,
      );
      continue;
    }
    problems.push(...drift(`server.toml [${name}]`, section, keys));
  }
  assert.deepEqual(problems, []);
});

Deno.test("configuration.md documents every key of every component class, and no key that is gone", () => {
  const problems: string[] = [];
  const roles: Record<ComponentRole, string> = {
    backend: "Backend",
    realm: "Realm",
    authorizer: "Authorizer",
  };
  for (const [role, title] of Object.entries(roles) as [ComponentRole, string][]) {
    for (const names of componentClasses(role)) {
      const schema = componentSchema(role, names[0], "/etc/pki/est");
      if (typeof schema === "string") continue; // recognised, not available in this version
      const keys = objectKeys(schema);
      assert.ok(keys, `${role} ${names[0]} is not an object schema`);
      const alias = names.at(-1)!;
      const section = sections.find((s) => names.some((n) => s.heading.startsWith(`${title} \`${n}\``)));
      if (section === undefined) {
        problems.push(
          `${DOC}: no section "### ${title} \`${alias}\`" for the ${role} class ${names.join(" / ")} ` +
            `(keys: ${keys.join(", ")})`,
        );
        continue;
      }
      problems.push(...drift(`the ${role} class \`${alias}\``, section, keys));
      const table = sections.find((s) => s.heading === "Components")!;
      for (const n of names) {
        if (!table.lines.some((l) => l.includes(`\`${n}\``))) {
          problems.push(`${DOC}: the Components table does not name the ${role} class \`${n}\``);
        }
      }
    }
  }
  // Without a class the authorizer is the identity check alone: its keys are the external process's too.
  const identityOnly = objectKeys(componentSchema("authorizer", undefined, "/"))!;
  const external = sections.find((s) => s.heading.startsWith("Authorizer `external-process`"))!;
  for (const key of identityOnly) {
    if (!documentedKeys(external).has(key)) {
      problems.push(`${DOC}: authorizer key \`${key}\` is not documented`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("the drift check names an undocumented key and a documented key that is gone", () => {
  const section = { heading: "`[x]`", lines: ["| key | meaning |", "| `a` | x |", "| `gone` | y |"] };
  assert.deepEqual(drift("server.toml [x]", section, ["a", "b"]), [
    `${DOC}: server.toml [x] key \`b\` is not documented: add a row | \`b\` | default | meaning | under "### \`[x]\`"`,
    `${DOC}: "### \`[x]\`" documents \`gone\`, which server.toml [x] does not have`,
  ]);
});
