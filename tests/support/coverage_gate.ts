/**
 * Reads the coverage a test run left in DIR (DENO_COVERAGE_DIR: the test
 * processes and every server and CLI process they start) and holds the
 * project's line-coverage targets: configuration parsing and error handling
 * 100%, authentication and authorisation 90%, backends 80%, everything 80%.
 * Prints a table; exits 1 when a target is missed.
 */
const dir = Deno.args[0] ?? ".cov";

// A process killed while it wrote its coverage (tests stop servers that do not drain in time) leaves a
// file cut short, which `deno coverage` refuses outright; its lines are left out rather than the whole run.
let incomplete = 0;
for await (const entry of Deno.readDir(dir)) {
  if (!entry.isFile || !entry.name.endsWith(".json")) continue;
  const path = `${dir}/${entry.name}`;
  try {
    JSON.parse(await Deno.readTextFile(path));
  } catch {
    incomplete++;
    await Deno.remove(path);
  }
}
if (incomplete > 0) console.log(`coverage: ${incomplete} file(s) cut short by a stopped process left out`);

interface Target {
  name: string;
  pattern: RegExp;
  min: number;
}

const TARGETS: Target[] = [
  { name: "config parsing", pattern: /^src\/config\//, min: 100 },
  { name: "error handling", pattern: /^src\/(errors|est\/error_response)\.ts$/, min: 100 },
  {
    name: "authentication and authorisation",
    pattern: /^src\/(realm|authz)\/|^src\/est\/authenticate\.ts$/,
    min: 90,
  },
  { name: "backends", pattern: /^src\/backend\//, min: 80 },
  { name: "whole project", pattern: /^(src\/|main\.ts$)/, min: 80 },
];

const lcov = await new Deno.Command(Deno.execPath(), {
  args: ["coverage", dir, "--lcov", "--exclude=tests/|bench/"],
  stdout: "piped",
  stderr: "inherit",
}).output();
if (!lcov.success) Deno.exit(1);

interface FileLines {
  found: number;
  hit: number;
  missed: number[];
}

const cwd = Deno.cwd() + "/";
const files = new Map<string, FileLines>();
let current: FileLines | undefined;
for (const line of new TextDecoder().decode(lcov.stdout).split("\n")) {
  if (line.startsWith("SF:")) {
    const path = line.slice(3).replace(/^file:\/\//, "").replace(cwd, "");
    current = { found: 0, hit: 0, missed: [] };
    files.set(path, current);
  } else if (line.startsWith("DA:") && current) {
    const [lineNo, count] = line.slice(3).split(",").map(Number);
    current.found++;
    if (count > 0) current.hit++;
    else current.missed.push(lineNo);
  }
}

let failed = false;
console.log("\ncoverage targets (lines):");
for (const target of TARGETS) {
  let found = 0;
  let hit = 0;
  const short: string[] = [];
  for (const [path, f] of files) {
    if (!target.pattern.test(path)) continue;
    found += f.found;
    hit += f.hit;
    if (f.missed.length > 0 && target.min === 100) short.push(`${path}: ${f.missed.join(",")}`);
  }
  const pct = found === 0 ? 100 : (hit / found) * 100;
  const ok = pct >= target.min;
  failed ||= !ok;
  console.log(
    `  ${ok ? "ok  " : "FAIL"} ${target.name.padEnd(34)} ${
      pct.toFixed(1).padStart(6)
    }%  (target ${target.min}%, ${hit}/${found} lines)`,
  );
  if (!ok) { for (const s of short) console.log(`         missed ${s}`); }
}
if (failed) {
  console.log("\nper file below 80%:");
  for (const [path, f] of files) {
    const pct = f.found === 0 ? 100 : (f.hit / f.found) * 100;
    if (pct < 80) console.log(`  ${pct.toFixed(1).padStart(6)}% ${path}`);
  }
}
Deno.exit(failed ? 1 : 0);
