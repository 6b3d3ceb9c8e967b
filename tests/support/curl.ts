import { join } from "node:path";
import { run } from "./tools.ts";
import { tempDir } from "./temp.ts";

/** A response as curl saw it: status, raw header block (case preserved) and body. */
export interface CurlResponse {
  status: number;
  /** The header block exactly as received. */
  rawHeaders: string;
  /** Header values by lower-cased name. */
  headers: Map<string, string>;
  body: Uint8Array<ArrayBuffer>;
  text: string;
}

export interface CurlOptions {
  method?: string;
  body?: string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
  /** "user:password" for Basic. */
  user?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  /** Send the body with Transfer-Encoding: chunked. */
  chunked?: boolean;
  extra?: string[];
}

/** Runs curl against `url` and returns what came back. */
export async function curl(url: string, options: CurlOptions = {}): Promise<CurlResponse> {
  const dir = await tempDir({ prefix: "est-curl-" });
  try {
    const headerFile = join(dir, "headers");
    const bodyFile = join(dir, "body");
    const args = ["-sS", "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}", "--max-time", "30"];
    args.push(options.cacert ? "--cacert" : "-k", ...(options.cacert ? [options.cacert] : []));
    if (options.method) args.push("-X", options.method);
    if (options.user) args.push("-u", options.user);
    if (options.cert) args.push("--cert", options.cert);
    if (options.key) args.push("--key", options.key);
    for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
    if (options.chunked) args.push("-H", "Transfer-Encoding: chunked");
    if (options.body !== undefined) {
      const dataFile = join(dir, "data");
      if (typeof options.body === "string") await Deno.writeTextFile(dataFile, options.body);
      else await Deno.writeFile(dataFile, options.body);
      args.push("--data-binary", `@${dataFile}`);
    }
    args.push(...(options.extra ?? []), url);
    const result = await run("curl", args);
    if (result.code !== 0) {
      throw new Error(`curl ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
    }
    const rawHeaders = await Deno.readTextFile(headerFile);
    const body = await Deno.readFile(bodyFile).catch(() => new Uint8Array(0));
    return {
      status: Number(result.text),
      rawHeaders,
      headers: parseHeaders(rawHeaders),
      body,
      text: new TextDecoder().decode(body),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function parseHeaders(raw: string): Map<string, string> {
  const blocks = raw.trim().split(/\r?\n\r?\n/);
  const headers = new Map<string, string>();
  for (const line of blocks[blocks.length - 1].split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** True when the raw header block has a header spelled exactly `name`. */
export function hasHeaderSpelled(response: CurlResponse, name: string): boolean {
  return response.rawHeaders.split(/\r?\n/).some((line) => line.startsWith(`${name}:`));
}
