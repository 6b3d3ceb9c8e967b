/**
 * Holds N idle TLS connections to a server (a separate process, so that the
 * server's RSS is measured alone): connects and completes the handshake on
 * each, prints "open <n>" when all are up, and keeps them until stdin closes.
 *
 *   deno run -A bench/lib/idle_client.ts PORT COUNT CA_PEM_FILE
 */
const [port, count, caFile] = Deno.args;
const caCerts = [await Deno.readTextFile(caFile)];
const connections: Deno.TlsConn[] = [];
const total = Number(count);
const batch = 50;
for (let i = 0; i < total; i += batch) {
  const opened = await Promise.all(
    Array.from({ length: Math.min(batch, total - i) }, async () => {
      const conn = await Deno.connectTls({ hostname: "127.0.0.1", port: Number(port), caCerts });
      await conn.handshake();
      return conn;
    }),
  );
  connections.push(...opened);
}
console.log(`open ${connections.length}`);
// Wait for the harness to close stdin, then let go.
for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
for (const conn of connections) {
  try {
    conn.close();
  } catch {
    // already closed by the server
  }
}
