/** A `###` section of a Markdown document: its heading line and the lines up to the next heading. */
export interface MarkdownSection {
  heading: string;
  lines: string[];
}

/** The document's sections at heading level 2 and deeper, in order. */
export function markdownSections(text: string): MarkdownSection[] {
  const sections: MarkdownSection[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    if (!fenced && /^#{2,} /.test(line)) sections.push({ heading: line.replace(/^#+ /, ""), lines: [] });
    else sections.at(-1)?.lines.push(line);
  }
  return sections;
}

/** The keys a section's tables document: every `backticked` name in the first cell of a row. */
export function documentedKeys(section: MarkdownSection): Set<string> {
  const keys = new Set<string>();
  for (const line of section.lines) {
    const cell = line.match(/^\|([^|]*)\|/)?.[1];
    if (cell === undefined) continue;
    for (const [, key] of cell.matchAll(/`([^`]+)`/g)) keys.add(key);
  }
  return keys;
}

/** The fenced blocks of a language (```sh), each with the line its fence opens on. */
export function fencedBlocks(text: string, language: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```" + language) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && lines[i].trim() !== "```") body.push(lines[i]);
    blocks.push({ line: start + 1, code: body.join("\n") });
  }
  return blocks;
}
