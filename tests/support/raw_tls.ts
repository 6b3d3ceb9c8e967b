/** A TLS connection to a test server that writes raw HTTP and collects everything the server answers. */
export interface RawTlsExchange {
  conn: Deno.TlsConn;
  /** Resolves with all the server sent, once it closes the connection. */
  answer: Promise<string>;
  /** Resolves with performance.now() when the first bytes of the answer arrived. */
  firstByte: Promise<number>;
}

/** Connects over TLS to 127.0.0.1:`port`, trusting the PEM at `caPath`, and starts reading. */
export async function rawTls(port: number, caPath: string): Promise<RawTlsExchange> {
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    caCerts: [await Deno.readTextFile(caPath)],
  });
  let arrived: (at: number) => void = () => {};
  const firstByte = new Promise<number>((resolve) => arrived = resolve);
  const answer = (async () => {
    let text = "";
    const buffer = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return text;
      if (text === "") arrived(performance.now());
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  })();
  return { conn, answer, firstByte };
}
