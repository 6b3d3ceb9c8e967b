import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";

/** Paths remembered at most; the map starts again when full (hostile paths cannot grow it). */
const MAX_PATHS = 256;
/** Longer paths (a made-up label can be most of a request line) are searched every time. */
const MAX_PATH_LENGTH = 256;

/**
 * Hono's trie router, remembering what each method and path matched: clients
 * ask the same few paths over and over, and a search allocates a few
 * kilobytes each time. A match result is only read by Hono, so one result
 * serves every request for its path.
 */
export class CachedRouter<T> implements Router<T> {
  readonly name = "CachedRouter";
  readonly #router = new TrieRouter<T>();
  readonly #matches = new Map<string, Result<T>>();

  add(method: string, path: string, handler: T): void {
    this.#matches.clear();
    this.#router.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    if (path.length > MAX_PATH_LENGTH) return this.#router.match(method, path);
    const key = `${method} ${path}`;
    let result = this.#matches.get(key);
    if (result === undefined) {
      result = this.#router.match(method, path);
      if (this.#matches.size >= MAX_PATHS) this.#matches.clear();
      this.#matches.set(key, result);
    }
    return result;
  }
}
