import assert from "node:assert/strict";
import { join } from "node:path";
import { markdownSections } from "../support/markdown.ts";

const root = new URL("../../", import.meta.url).pathname;

function commandsTable(): string {
  const readme = Deno.readTextFileSync(join(root, "README.md"));
  const section = markdownSections(readme).find((s) => s.heading === "Commands");
  assert.ok(section, 'README.md has no "## Commands"');
  return section.lines.filter((l) => l.startsWith("|")).join("\n");
}

Deno.test("README's Commands table names every deno task and every subcommand of main.ts", () => {
  const table = commandsTable();
  const tasks = Object.keys(JSON.parse(Deno.readTextFileSync(join(root, "deno.json"))).tasks);
  const missing = tasks.filter((t) => !table.includes(`deno task ${t}\``) && !table.includes(`/ \`${t}\``))
    .map((t) => `task "${t}"`);
  // The subcommands, as main.ts's usage text lists them.
  const usage = Deno.readTextFileSync(join(root, "main.ts")).match(/const USAGE = `([\s\S]*?)`;/)![1];
  const subcommands = [...usage.matchAll(/^ {2}pki-est-server ([a-z][\w-]*)/gm)].map((m) => m[1]);
  assert.ok(subcommands.includes("serve") && subcommands.includes("revoke"), subcommands.join(", "));
  for (const sub of [...subcommands, "--version"]) {
    if (!new RegExp(`main\\.ts ${sub.replace(/-/g, "\\-")}[ \`]`).test(table)) {
      missing.push(`subcommand "${sub}" (a row \`deno run -A main.ts ${sub} …\`)`);
    }
  }
  assert.deepEqual(missing, [], "README.md's Commands table lacks these");
});
