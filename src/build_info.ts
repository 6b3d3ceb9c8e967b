/** What a build fixes at build time. */
export interface BuildInfo {
  /** The git commit the build was made from; undefined when running from a source tree. */
  readonly commit?: string;
  /** `[server] state_dir` when server.toml does not set it (relative paths are to the config directory). */
  readonly defaultStateDir: string;
}

/**
 * The values for running from source. `deno task compile` and `deno task dist`
 * build from a copy of the tree in which tools/stage.ts rewrites this file with
 * the commit and the installed default `/var/lib/pki-est`.
 */
export const BUILD_INFO: BuildInfo = { commit: undefined, defaultStateDir: "state" };
