/**
 * The Deno flags the server runs with when installed: the compiled binary,
 * the offline bundle's launcher and the image all take them from here.
 */

/**
 * The permissions the server needs, and no others. Paths and hosts are the
 * operator's to choose in the configuration (TLS files, the audit log, the
 * authoriser executable, the CA's URL), so reads, writes, processes and
 * network are not narrowed to fixed lists; the systemd unit and the container
 * confine the file system instead. Environment variables are: EST_CONFIG_DIR,
 * and what the PostgreSQL client reads (PG*, USER). `hostname` names the
 * self-issued TLS certificate.
 */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-ffi",
  "--allow-env=EST_CONFIG_DIR,PG*,USER,USERNAME",
  "--allow-sys=hostname",
  "--no-prompt",
];

/** Heap limits that keep a busy server within a 256 MiB container limit (see docs/operations.md). */
export const V8_FLAGS =
  "--v8-flags=--max-old-space-size=64,--max-semi-space-size=8,--single-threaded-gc,--initial-old-space-size=32";

/** Modules loaded as worker threads, which `deno compile` must be told about. */
export const WORKER_MODULES: readonly string[] = ["src/ops/worker_thread.ts", "src/ops/audit_thread.ts"];
