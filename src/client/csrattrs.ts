/**
 * `client csrattrs`: what the server asks CSRs to carry (RFC 7030 §4.5),
 * listed one attribute a line with known OIDs named; --out keeps the DER.
 *
 * @module
 */
import * as asn1js from "asn1js";
import { NAMED_OIDS } from "../pki/oids.ts";
import { ClientFailure } from "./errors.ts";
import type { ClientIo } from "./io.ts";
import type { ClientOptions } from "./options.ts";
import { writeBytes } from "./output.ts";
import { responseDer } from "./response_body.ts";
import { describeRefusal } from "./server_message.ts";
import type { Session } from "./session.ts";
import { send } from "./transport.ts";

/** One entry of a CsrAttrs answer: an OID alone, or an attribute type with its values. */
export interface CsrAttrEntry {
  oid: string;
  values: string[];
}

const OID_NAMES = new Map(Object.entries(NAMED_OIDS).map(([name, oid]) => [oid, name]));

/** Fetches /csrattrs and prints it (204: none). */
export async function runCsrAttrs(options: ClientOptions, session: Session, io: ClientIo): Promise<void> {
  const res = await send(session.conn, { method: "GET", path: session.pathOf("csrattrs") });
  if (res.status === 204 || (res.status === 200 && res.body.byteLength === 0)) {
    io.stdout.write("the server asks for no CSR attributes\n");
    return;
  }
  if (res.status !== 200) throw new ClientFailure(describeRefusal(res, "csrattrs"));
  const der = responseDer(res.body, "CSR attributes");
  const entries = decodeCsrAttrs(der);
  if (options.out !== undefined) writeBytes(options.out, der);
  if (entries.length === 0) io.stdout.write("the server asks for no CSR attributes\n");
  for (const entry of entries) {
    const values = entry.values.map(nameOf).join(", ");
    io.stdout.write(`${nameOf(entry.oid)}${values === "" ? "" : `: ${values}`}\n`);
  }
}

/** Reads `CsrAttrs ::= SEQUENCE OF (OID | Attribute)`; non-OID values are shown by their ASN.1 type. */
export function decodeCsrAttrs(der: Uint8Array<ArrayBuffer>): CsrAttrEntry[] {
  const parsed = asn1js.fromBER(der);
  if (
    parsed.offset === -1 || parsed.offset !== der.byteLength || !(parsed.result instanceof asn1js.Sequence)
  ) {
    throw new ClientFailure("the CSR attributes are not a DER SEQUENCE");
  }
  return parsed.result.valueBlock.value.map((item): CsrAttrEntry => {
    if (item instanceof asn1js.ObjectIdentifier) return { oid: item.valueBlock.toString(), values: [] };
    const [type, set] = item instanceof asn1js.Sequence ? item.valueBlock.value : [];
    if (!(type instanceof asn1js.ObjectIdentifier) || !(set instanceof asn1js.Set)) {
      throw new ClientFailure("the CSR attributes hold an entry that is neither an OID nor an attribute");
    }
    const values = set.valueBlock.value.map((v) =>
      v instanceof asn1js.ObjectIdentifier ? v.valueBlock.toString() : `(${v.constructor.name})`
    );
    return { oid: type.valueBlock.toString(), values };
  });
}

function nameOf(oid: string): string {
  const name = OID_NAMES.get(oid);
  return name === undefined ? oid : `${name} (${oid})`;
}
