import { Readable } from "node:stream";
import type { Backend } from "../../src/backend/backend.ts";
import type { EstServices } from "../../src/est/services.ts";
import type { Realm } from "../../src/realm/realm.ts";
import { ClientChainValidator } from "../../src/tls/client_chain.ts";

/**
 * Route services for handler-level tests through app.request(): `backend`
 * and `realm`, client certificates validated against `caDer`, Basic and
 * certificate authentication, standard errors and no labels.
 */
export function appServices(backend: Backend, realm: Realm, caDer: Uint8Array<ArrayBuffer>): EstServices {
  return {
    backend,
    realm,
    clientCerts: new ClientChainValidator({
      anchors: () => Promise.resolve([caDer]),
      renewalAnchors: () => Promise.resolve([caDer]),
      ekuPolicy: "required",
    }),
    settings: {
      auth: {
        realmName: "EST",
        methods: ["basic", "cert"],
        certExcludesBasic: true,
        certificateRoles: [],
        clientCertEku: "required",
        identityNames: { subjectAttributes: [], subjectAltNames: [] },
      },
      errorStyle: "standard",
      layout: { lineLength: 0, lineEnding: "lf" },
      maxBodyBytes: 65536,
      bodyTimeoutMs: 5000,
      keyPolicy: { minRsaBits: 2048 },
      crypto: globalThis.crypto,
      enrollMatchIdentity: true,
      deferral: { retryAfterSeconds: 60 },
      labels: {},
      version: "test",
    },
  };
}

/**
 * The node request app.request() is handed as its `incoming` binding: `body`
 * as node:http's stream with its length (what the production body reader
 * reads), on `socket`.
 */
export function nodeRequest(body: string, socket: object) {
  return Object.assign(Readable.from([new TextEncoder().encode(body)]), {
    headers: { "content-length": String(body.length) },
    socket,
  });
}
