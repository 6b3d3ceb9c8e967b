import "reflect-metadata";
import { createServer, type Server } from "node:https";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import * as x509 from "@peculiar/x509";
import { type FakeAuthority, FakeCaPki } from "./fake_ca_pki.ts";
import { answerFullCmc, injectedCmcAnswer } from "./fake_dogtag_cmc.ts";
import {
  estServiceCertTemplate,
  sameBytes,
  subjectRuleRefuses,
  TEMPLATE_PROFILE,
} from "./fake_dogtag_profiles.ts";
import { tempDir } from "./temp.ts";

/**
 * A fake Dogtag CA that behaves like the real one on the wire, for the
 * DogtagRABackend tests: HTTPS (node:https) on 127.0.0.1, the REST v2 calls
 * of an EST RA with Dogtag's JSON shapes and error bodies, Tomcat's Basic
 * challenge and JSESSIONID session, agent certificates, profile
 * estServiceCert with its subject rule (policy 20 or 21), pending requests
 * that an agent approves, the full CMC servlet, and faults on demand
 * (statuses, slow and dropped answers). It counts TLS connections and
 * records every request, and restarts on the same port.
 */

/** A CA user. */
export interface CaUser {
  password: string;
  fullName: string;
  /** Member of "Certificate Manager Agents". */
  agent: boolean;
}

export interface FakeDogtagCaOptions {
  /** true (Tomcat): no credentials gets a Basic challenge; false: a 401 JSON error without one. */
  challenge?: boolean;
  /** estServiceCert's subject rule: policy 20 (`CN=$ra_client_name$`, default) or 21 (`CN=[^,]+`). */
  subjectRule?: "raClientAuth" | "anyCn";
  /** "auto": requests complete on submission; "agent": they stay pending until an agent approves. */
  approval?: "auto" | "agent";
}

/** One request as the CA received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array<ArrayBuffer>;
  /** DER of the TLS client certificate, when one was shown. */
  clientCert?: Uint8Array<ArrayBuffer>;
}

/** A certificate request submitted through the REST API, with the values of its inputs. */
export interface Submission {
  issuerId?: string;
  inputs: Record<string, string>;
}

/** Something the CA does instead of (or before) answering. */
export type Fault =
  | { status: number; json?: { ClassName: string; Message: string }; text?: string; contentType?: string }
  | { drop: true }
  | { delayMs: number }
  /** For POST /ca/v2/certrequests: the request ends rejected or in error with `message`. */
  | { outcome: "rejected" | "error"; message: string }
  /** For the full CMC servlet: this pki-cmc-status header (null: none) on a 200. */
  | { cmcStatus: string | null };

interface PendingFault {
  method: string;
  path: RegExp;
  fault: Fault;
  times: number;
}

interface StoredRequest {
  id: string;
  status: "pending" | "complete" | "rejected";
  enrollment: Record<string, unknown>;
  authority: FakeAuthority;
  csr: x509.Pkcs10CertificateRequest;
  subject: string;
  nonce: string;
  certId?: string;
  /** Why an agent rejected it. */
  rejection?: string;
}

const BASE = "com.netscape.certsrv.base.";

function hexId(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Dogtag accepts IDs as 0x-hex or decimal. */
function parseId(id: string): number {
  return /^0x[0-9a-f]+$/i.test(id) ? parseInt(id.slice(2), 16) : /^\d+$/.test(id) ? Number(id) : NaN;
}

export class FakeDogtagCa {
  /** CA users; `est-ra-1` / `est4ever` is the RA agent of Dogtag's CI. */
  readonly users = new Map<string, CaUser>([
    ["est-ra-1", { password: "est4ever", fullName: "EST RA 1", agent: true }],
    ["clerk", { password: "clerk-pw", fullName: "Clerk", agent: false }],
  ]);
  /** DER of certificates held by CA users in "Certificate Manager Agents". */
  readonly agentCertificates: Uint8Array<ArrayBuffer>[] = [];
  /** TLS connections accepted, since start. */
  connections = 0;
  readonly requests: RecordedRequest[] = [];
  readonly submissions: Submission[] = [];
  readonly #faults: PendingFault[] = [];
  readonly #sessions = new Map<string, string>();
  readonly #requests = new Map<number, StoredRequest>();
  readonly #certs = new Map<number, x509.X509Certificate>();
  readonly #sockets = new Set<Socket>();
  #nextRequest = 0x1f;
  #server?: Server;
  #port = 0;

  private constructor(
    readonly pki: FakeCaPki,
    readonly dir: string,
    readonly options: FakeDogtagCaOptions,
    private readonly tls: { certPem: string; keyPem: string },
  ) {}

  /** Starts a CA with a fresh host CA, listening on 127.0.0.1 (port 0). */
  static async start(options: FakeDogtagCaOptions = {}): Promise<FakeDogtagCa> {
    const pki = await FakeCaPki.create();
    const dir = await tempDir({ prefix: "fake-dogtag-" });
    const tls = await pki.issueKeyPair("CN=127.0.0.1", { dns: ["localhost"], ips: ["127.0.0.1"] });
    await Deno.writeTextFile(join(dir, "ca_signing.crt"), pki.host.cert.toString("pem") + "\n");
    const ca = new FakeDogtagCa(pki, dir, {
      challenge: true,
      subjectRule: "raClientAuth",
      approval: "auto",
      ...options,
    }, tls);
    await ca.#listen(0);
    return ca;
  }

  get port(): number {
    return this.#port;
  }

  /** https://127.0.0.1:PORT, for backend.conf `url`. */
  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  /** PEM file of the host CA certificate (signs the CA's TLS certificate): `caBundle`. */
  get caBundlePath(): string {
    return join(this.dir, "ca_signing.crt");
  }

  /** Makes `fault` happen to the next `times` requests matching `method` and `path` (path and query). */
  inject(method: string, path: RegExp, fault: Fault, times = 1): void {
    this.#faults.push({ method, path, fault, times });
  }

  /** Recorded requests matching `method` and `path`. */
  callsTo(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  /** Issues a key pair and certificate from the host CA and writes them as PEM files under the CA's dir. */
  async writeIdentity(
    name: string,
    subject: string,
    options: { dns?: string[]; ips?: string[]; agent?: boolean } = {},
  ): Promise<{ certPath: string; keyPath: string; der: Uint8Array<ArrayBuffer> }> {
    const issued = await this.pki.issueKeyPair(subject, options);
    const certPath = join(this.dir, `${name}.crt`);
    const keyPath = join(this.dir, `${name}.key`);
    await Deno.writeTextFile(certPath, issued.certPem);
    await Deno.writeTextFile(keyPath, issued.keyPem);
    const der = new Uint8Array(issued.cert.rawData);
    if (options.agent) this.agentCertificates.push(der);
    return { certPath, keyPath, der };
  }

  /** Stops listening and drops every connection; the port stays reserved for `restart`. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#listen(this.#port);
  }

  async close(): Promise<void> {
    await this.stop();
    await Deno.remove(this.dir, { recursive: true });
  }

  async #listen(port: number): Promise<void> {
    const server = createServer({
      cert: this.tls.certPem,
      key: this.tls.keyPem,
      ca: this.pki.host.cert.toString("pem"),
      requestCert: true,
      rejectUnauthorized: false,
    }, (req, res) => {
      this.#handle(req, res).catch((err) => {
        if (res.headersSent) return void res.destroy();
        this.#error(res, 500, "PKIException", `fake CA failure: ${(err as Error).message}`);
      });
    });
    server.on("secureConnection", (socket: Socket) => {
      this.connections++;
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    chunks.reduce((offset, c) => (body.set(c, offset), offset + c.byteLength), 0);
    const socket = req.socket as TLSSocket;
    const peer = socket.authorized ? socket.getPeerCertificate()?.raw : undefined;
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body,
      clientCert: peer ? new Uint8Array(peer) : undefined,
    };
    this.requests.push(recorded);

    const fault = this.#takeFault(recorded);
    if (fault && "drop" in fault) {
      req.socket.destroy();
      return;
    }
    if (fault && "delayMs" in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault && "status" in fault) {
      const type = fault.contentType ?? (fault.json ? "application/json" : "text/html;charset=utf-8");
      const text = fault.json
        ? JSON.stringify({ Attributes: { Attribute: [] }, Code: fault.status, ...fault.json }, null, 2)
        : fault.text ?? `<html><body>HTTP Status ${fault.status}</body></html>`;
      res.writeHead(fault.status, { "Content-Type": type }).end(text);
      return;
    }
    const url = new URL(recorded.path, "https://ca.invalid");
    const route = `${recorded.method} ${url.pathname}`;
    let m: RegExpExecArray | null;
    if ((m = /^GET \/ca\/v2\/authorities\/([^/]+)\/chain$/.exec(route))) return this.#chain(res, m[1]);
    if (route === "GET /ca/v2/account/login") return this.#login(recorded, res);
    if ((m = /^GET \/ca\/v2\/certrequests\/profiles\/([^/]+)$/.exec(route))) return this.#profile(res, m[1]);
    if (route === "POST /ca/v2/certrequests") return await this.#submit(recorded, url, res, fault);
    if ((m = /^GET \/ca\/v2\/agent\/certrequests\/([^/]+)$/.exec(route))) {
      return this.#review(recorded, res, m[1]);
    }
    if ((m = /^POST \/ca\/v2\/agent\/certrequests\/([^/]+)\/approve$/.exec(route))) {
      return await this.#approve(recorded, res, m[1]);
    }
    if ((m = /^GET \/ca\/v2\/certrequests\/([^/]+)$/.exec(route))) return this.#requestInfo(res, m[1]);
    if ((m = /^GET \/ca\/v2\/certs\/([^/]+)$/.exec(route))) return this.#cert(res, m[1]);
    if (route === "POST /ca/ee/ca/profileSubmitCMCFull") {
      return await this.#fullCmc(recorded, url, res, fault);
    }
    res.writeHead(404).end();
  }

  #takeFault(request: RecordedRequest): Fault | undefined {
    const index = this.#faults.findIndex((f) => f.method === request.method && f.path.test(request.path));
    if (index < 0) return undefined;
    const pending = this.#faults[index];
    if (--pending.times <= 0) this.#faults.splice(index, 1);
    return pending.fault;
  }

  #json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "Content-Type": "application/json", ...headers }).end(
      JSON.stringify(value, null, 2),
    );
  }

  #error(res: ServerResponse, status: number, className: string, message: string): void {
    this.#json(res, status, {
      Attributes: { Attribute: [] },
      ClassName: BASE + className,
      Code: status,
      Message: message,
    });
  }

  /** Who the request authenticates as: session cookie, Basic credentials, or an agent's TLS certificate. */
  #principal(request: RecordedRequest): { name: string; agent: boolean } | "bad" | undefined {
    const session = /JSESSIONID=([0-9a-f]+)/.exec(String(request.headers.cookie ?? ""))?.[1];
    const sessionUser = session === undefined ? undefined : this.#sessions.get(session);
    if (sessionUser !== undefined) {
      return { name: sessionUser, agent: this.users.get(sessionUser)?.agent ?? true };
    }
    const basic = /^Basic (.+)$/.exec(String(request.headers.authorization ?? ""))?.[1];
    if (basic !== undefined) {
      const [name, ...rest] = new TextDecoder().decode(Uint8Array.fromBase64(basic)).split(":");
      const user = this.users.get(name);
      return user !== undefined && user.password === rest.join(":") ? { name, agent: user.agent } : "bad";
    }
    const cert = request.clientCert;
    if (cert && this.#isAgentCert(cert)) {
      return { name: "agent-cert", agent: true };
    }
    return undefined;
  }

  /** Tomcat's answer to a constrained resource without (good) credentials. */
  #challenge(res: ServerResponse): void {
    if (this.options.challenge) {
      res.writeHead(401, {
        "WWW-Authenticate": 'Basic realm="Certificate Authority"',
        "Content-Type": "text/html;charset=utf-8",
      }).end("<!doctype html><html><body>HTTP Status 401 – Unauthorized</body></html>");
    } else {
      this.#error(res, 401, "UnauthorizedException", "Authentication required");
    }
  }

  #chain(res: ServerResponse, id: string): void {
    const authority = id === "host-authority" ? this.pki.host : this.pki.authorities.get(id.toLowerCase());
    if (authority === undefined) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) {
        return this.#error(res, 400, "BadRequestException", `Bad AuthorityID: ${id}`);
      }
      return this.#error(res, 404, "ResourceNotFoundException", `CA not found: ${id}`);
    }
    res.writeHead(200, { "Content-Type": "application/x-pem-file" }).end(this.pki.chainPem(authority));
  }

  #login(request: RecordedRequest, res: ServerResponse): void {
    const who = this.#principal(request);
    if (who === undefined || who === "bad") return this.#challenge(res);
    const session = crypto.randomUUID().replace(/-/g, "");
    this.#sessions.set(session, who.name);
    const user = this.users.get(who.name);
    this.#json(res, 200, {
      id: who.name,
      FullName: user?.fullName ?? who.name,
      Roles: who.agent ? ["Certificate Manager Agents"] : [],
    }, { "Set-Cookie": `JSESSIONID=${session}; Path=/ca; Secure; HttpOnly` });
  }

  #profile(res: ServerResponse, profile: string): void {
    if (profile !== TEMPLATE_PROFILE) {
      return this.#error(res, 404, "ResourceNotFoundException", `Profile ${profile} not found`);
    }
    this.#json(res, 200, estServiceCertTemplate());
  }

  async #submit(request: RecordedRequest, url: URL, res: ServerResponse, fault?: Fault): Promise<void> {
    if (!String(request.headers["content-type"]).startsWith("application/json")) {
      return this.#error(res, 415, "UnsupportedMediaType", "Unsupported content type");
    }
    const who = this.#principal(request);
    if (who === undefined || who === "bad" || !who.agent) {
      return this.#error(res, 401, "UnauthorizedException", "Profile authentication failed");
    }
    const issuerId = url.searchParams.get("issuer-id") ?? undefined;
    const authority = issuerId === undefined ? this.pki.host : this.pki.authorities.get(issuerId);
    if (authority === undefined) {
      return this.#error(res, 404, "ResourceNotFoundException", `CA not found: ${issuerId}`);
    }
    const enrollment = JSON.parse(new TextDecoder().decode(request.body)) as Record<string, unknown>;
    const inputs: Record<string, string> = {};
    for (const input of (enrollment.Input ?? []) as { Attribute?: { name: string; Value?: string }[] }[]) {
      for (const a of input.Attribute ?? []) if (a.Value) inputs[a.name] = a.Value;
    }
    this.submissions.push({ issuerId, inputs });
    let csr: x509.Pkcs10CertificateRequest;
    try {
      if (inputs.cert_request_type !== "pkcs10") throw new Error("not pkcs10");
      csr = new x509.Pkcs10CertificateRequest(Uint8Array.fromBase64(inputs.cert_request));
    } catch {
      return this.#error(res, 400, "BadRequestException", "Invalid certificate request");
    }
    const cn = csr.subjectName.getField("CN")[0];
    const subject = `CN=${cn ?? ""}`;
    const id = this.#nextRequest++;
    const stored: StoredRequest = {
      id: hexId(id),
      status: "pending",
      enrollment,
      authority,
      csr,
      subject,
      nonce: crypto.randomUUID(),
    };
    this.#requests.set(id, stored);
    const reason = fault && "outcome" in fault
      ? fault.message
      : subjectRuleRefuses(this.options.subjectRule!, inputs, subject, (der) => this.#isAgentCert(der));
    if (reason !== undefined) {
      if (!(fault && "outcome" in fault && fault.outcome === "error")) stored.status = "rejected";
      const entry = { ...this.#info(stored), errorMessage: reason, operationResult: "error" };
      return this.#json(res, 200, { total: 1, entries: [entry] });
    }
    if (this.options.approval === "auto") await this.#issue(stored);
    this.#json(res, 200, { total: 1, entries: [this.#info(stored)] });
  }

  async #issue(stored: StoredRequest): Promise<void> {
    const cert = await this.pki.issue(stored.authority, {
      subject: stored.subject,
      publicKey: stored.csr.publicKey,
      san: stored.csr.extensions.find((e) => e.type === "2.5.29.17") as x509.SubjectAlternativeNameExtension,
    });
    const serial = parseInt(cert.serialNumber, 16);
    this.#certs.set(serial, cert);
    stored.status = "complete";
    stored.certId = hexId(serial);
  }

  #info(stored: StoredRequest): Record<string, unknown> {
    return {
      requestID: stored.id,
      requestType: "enrollment",
      requestStatus: stored.status,
      requestURL: `https://127.0.0.1:${this.#port}/ca/v2/certrequests/${stored.id}`,
      certRequestType: "pkcs10",
      operationResult: "success",
      ...(stored.certId ? { certId: stored.certId, certURL: `/ca/v2/certs/${stored.certId}` } : {}),
      ...(stored.rejection ? { errorMessage: stored.rejection } : {}),
      creationTime: Date.now(),
      modificationTime: Date.now(),
    };
  }

  /** IDs of the requests still pending (with `approval: "agent"`), oldest first. */
  pendingRequestIds(): string[] {
    return [...this.#requests.values()].filter((r) => r.status === "pending").map((r) => r.id);
  }

  /** What one of the CA's own agents does with a pending request: approve (issue) or reject with `reason`. */
  async settle(
    id: string,
    outcome: "approve" | "reject",
    reason = "Request rejected by agent",
  ): Promise<void> {
    const stored = this.#requests.get(parseId(id));
    if (stored === undefined || stored.status !== "pending") throw new Error(`request ${id} is not pending`);
    if (outcome === "approve") return await this.#issue(stored);
    stored.status = "rejected";
    stored.rejection = reason;
  }

  #agent(request: RecordedRequest, res: ServerResponse): boolean {
    const who = this.#principal(request);
    if (who === undefined || who === "bad") {
      this.#challenge(res);
      return false;
    }
    if (!who.agent) {
      this.#error(res, 403, "ForbiddenException", "Authorization Error");
      return false;
    }
    return true;
  }

  #review(request: RecordedRequest, res: ServerResponse, id: string): void {
    if (!this.#agent(request, res)) return;
    const stored = this.#requests.get(parseId(id));
    if (stored === undefined) {
      return this.#error(res, 404, "RequestNotFoundException", `Request ID ${id} not found`);
    }
    this.#json(res, 200, {
      ...stored.enrollment,
      nonce: stored.nonce,
      requestId: stored.id,
      requestType: "enrollment",
      requestStatus: stored.status,
      requestOwner: "",
      profileApprovedBy: "",
      profileSetId: "serverCertSet",
      profileIsVisible: false,
      profileName: "EST Service Certificate Enrollment",
      ProfilePolicySet: [],
    });
  }

  async #approve(request: RecordedRequest, res: ServerResponse, id: string): Promise<void> {
    if (!this.#agent(request, res)) return;
    const stored = this.#requests.get(parseId(id));
    if (stored === undefined) {
      return this.#error(res, 404, "RequestNotFoundException", `Request ID ${id} not found`);
    }
    const review = JSON.parse(new TextDecoder().decode(request.body)) as { nonce?: string };
    if (review.nonce !== stored.nonce) return this.#error(res, 400, "BadRequestException", "Invalid nonce");
    if (stored.status !== "pending") {
      return this.#error(res, 409, "ConflictingOperationException", "Request not pending");
    }
    await this.#issue(stored);
    res.writeHead(204).end();
  }

  #requestInfo(res: ServerResponse, id: string): void {
    const stored = this.#requests.get(parseId(id));
    if (stored === undefined) {
      return this.#error(res, 404, "RequestNotFoundException", `Request ID ${id} not found`);
    }
    this.#json(res, 200, this.#info(stored));
  }

  #cert(res: ServerResponse, id: string): void {
    const cert = this.#certs.get(parseId(id));
    if (cert === undefined) {
      return this.#error(res, 404, "CertNotFoundException", `Certificate ID ${id} not found`);
    }
    this.#json(res, 200, {
      id: hexId(parseId(id)),
      IssuerDN: cert.issuer,
      SubjectDN: cert.subject,
      Encoded: cert.toString("pem") + "\n",
      Status: "VALID",
    });
  }

  #isAgentCert(der: Uint8Array): boolean {
    return this.agentCertificates.some((a) => sameBytes(a, der));
  }

  async #fullCmc(request: RecordedRequest, url: URL, res: ServerResponse, fault?: Fault): Promise<void> {
    const cert = request.clientCert;
    if (!cert || !this.#isAgentCert(cert)) {
      res.writeHead(401, { "Content-Type": "text/html;charset=utf-8" }).end("<html>Unauthorized</html>");
      return;
    }
    const answer = fault && "cmcStatus" in fault
      ? injectedCmcAnswer(fault.cmcStatus)
      : await answerFullCmc(this.pki, request, url, (der) => this.#isAgentCert(der));
    if (answer.certificate) {
      this.#certs.set(parseInt(answer.certificate.serialNumber, 16), answer.certificate);
    }
    const headers: Record<string, string> = { "Content-Type": "application/pkcs7-mime" };
    if (answer.cmcStatus !== null) headers["pki-cmc-status"] = answer.cmcStatus;
    res.writeHead(200, headers).end(answer.body);
  }
}
