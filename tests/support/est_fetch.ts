import type { TestServer } from "./server.ts";

/** A response: status, headers and body text. */
export interface FetchedResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * An HTTPS client for many requests in a row (floods, generated cases): Deno's
 * fetch over real TLS to the test server, trusting its CA, one connection pool.
 */
export class EstFetch {
  readonly #client: Deno.HttpClient;

  private constructor(private readonly srv: TestServer, caPem: string) {
    this.#client = Deno.createHttpClient({ caCerts: [caPem] });
  }

  static async open(srv: TestServer): Promise<EstFetch> {
    return new EstFetch(srv, await Deno.readTextFile(srv.caPath));
  }

  /** POSTs a base64 CSR to simpleenroll (of `label` when given) as `user` ("name:password"). */
  enroll(der: Uint8Array<ArrayBuffer>, user: string, label?: string): Promise<FetchedResponse> {
    const path = label ? `${label}/simpleenroll` : "simpleenroll";
    return this.request(path, {
      method: "POST",
      headers: { "Content-Type": "application/pkcs10", Authorization: `Basic ${btoa(user)}` },
      body: der.toBase64(),
    });
  }

  /** Any EST path under /.well-known/est/. */
  async request(path: string, init: RequestInit = {}): Promise<FetchedResponse> {
    const res = await fetch(`${this.srv.base}/${path}`, { ...init, client: this.#client });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  close(): void {
    this.#client.close();
  }
}
