import assert from "node:assert/strict";
import { join } from "node:path";
import { markdownSections } from "../support/markdown.ts";

const root = new URL("../../", import.meta.url).pathname;

/** Messages the runtime writes, not this project's code: they are documented but cannot be found in it. */
const FROM_THE_RUNTIME = [/EADDRINUSE/, /EACCES/, /^NotCapable/, /^npm pack/];

function sourceText(): string {
  const files: string[] = [join(root, "main.ts")];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  walk(join(root, "src"));
  walk(join(root, "tools"));
  return files.map((f) => Deno.readTextFileSync(f)).join("\n");
}

/** The backticked messages in the first column of every table of the document. */
function documentedMessages(text: string): string[] {
  const messages: string[] = [];
  for (const section of markdownSections(text)) {
    for (const line of section.lines) {
      const cell = line.match(/^\|((?:[^|\\]|\\.)*)\|/)?.[1];
      if (cell === undefined || /^\s*-+\s*$/.test(cell)) continue;
      for (const [, message] of cell.matchAll(/`([^`]+)`/g)) messages.push(message.replaceAll("\\|", "|"));
    }
  }
  return messages;
}

Deno.test("troubleshooting.md: every message it explains is one the server or its tools can write", () => {
  const source = sourceText();
  const messages = documentedMessages(Deno.readTextFileSync(join(root, "docs", "troubleshooting.md")));
  assert.ok(messages.length >= 50, `${messages.length} messages`);
  const missing: string[] = [];
  for (const message of messages) {
    if (FROM_THE_RUNTIME.some((r) => r.test(message))) continue;
    // The literal parts around each <placeholder> must each appear in the code.
    const fragments = message.split(/<[^>]+>/).map((f) => f.trim()).filter((f) => f.length >= 4);
    for (const fragment of fragments) {
      if (!source.includes(fragment)) missing.push(`"${fragment}" (of \`${message}\`)`);
    }
  }
  assert.deepEqual(missing, [], "documented messages no code writes");
});
