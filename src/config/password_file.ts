import { readFileSync } from "node:fs";
import { parseProperties, type PropertiesSyntaxError } from "./properties.ts";

/**
 * Dogtag's `passwordFile`: a Java properties file whose `password` key holds
 * the CA user's password. Returns the password, or a message saying what is
 * wrong with the file (unreadable, malformed, no `password` key).
 */
export function readPasswordFile(path: string): { password: string } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    return { problem: `cannot read ${path}: ${(err as Error).message}` };
  }
  let entries;
  try {
    entries = parseProperties(text);
  } catch (err) {
    const e = err as PropertiesSyntaxError;
    return { problem: `${path}:${e.line}: ${e.message}` };
  }
  const password = entries.get("password")?.value;
  if (password === undefined || password === "") return { problem: `${path} has no "password" key` };
  return { password };
}
