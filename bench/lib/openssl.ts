/** Runs the openssl CLI (in `cwd` when given) and returns what it wrote to stdout; throws with its stderr on failure. */
export async function openssl(args: string[], cwd?: string): Promise<Uint8Array<ArrayBuffer>> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  return out.stdout;
}
