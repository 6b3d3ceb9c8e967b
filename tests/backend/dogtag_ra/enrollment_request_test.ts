import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import {
  certIdOf,
  certificateOf,
  type CertRequestInfo,
  checkRequestOutcome,
  fillEnrollmentRequest,
  firstRequestInfo,
  requestIdOf,
  requestInfoOf,
} from "../../../src/backend/dogtag_ra/enrollment_request.ts";
import { BadRequestError, InternalError } from "../../../src/errors.ts";

const TEMPLATE = {
  Attributes: { Attribute: [] },
  ProfileID: "estServiceCert",
  Renewal: false,
  Input: [
    {
      id: "i1",
      ClassID: "certReqInputImpl",
      Name: "Certificate Request Input",
      ConfigAttribute: [],
      Attribute: [
        { name: "cert_request_type", Value: "", Descriptor: { Syntax: "cert_request_type" } },
        { name: "cert_request", Value: "" },
      ],
    },
    { id: "i2", ClassID: "submitterInfoInputImpl", Attribute: [{ name: "requestor_name" }] },
    {
      id: "i3",
      ClassID: "raClientAuthInfoInputImpl",
      Attribute: [{ name: "ra_client_uid" }, { name: "ra_client_name" }],
    },
  ],
  Output: [{ id: "o1", classId: "certOutputImpl", name: "x", attributes: [] }],
  SomethingNew: { kept: true },
};

const csr = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);

Deno.test("enrollment request: the template is filled where it has room, the rest kept as it came", () => {
  const filled = fillEnrollmentRequest(TEMPLATE, {
    csr,
    uid: "alice",
    fullName: "Administrator",
    clientCertificate: new Uint8Array([1, 2]),
  }, "estServiceCert");
  assert.deepEqual(filled.Input![0].Attribute, [
    { name: "cert_request_type", Value: "pkcs10", Descriptor: { Syntax: "cert_request_type" } },
    { name: "cert_request", Value: "MAMCAQE=" },
  ]);
  assert.deepEqual(filled.Input![1], TEMPLATE.Input[1], "other inputs untouched");
  assert.deepEqual(filled.Input![2].Attribute, [
    { name: "ra_client_uid", Value: "alice" },
    { name: "ra_client_name", Value: "Administrator" },
  ], "ra_client_certificate is not in this template: skipped");
  assert.deepEqual(filled.SomethingNew, { kept: true });
  assert.deepEqual(filled.Output, TEMPLATE.Output);
  assert.deepEqual(
    TEMPLATE.Input[0].Attribute[1],
    { name: "cert_request", Value: "" },
    "the template itself is not changed",
  );
  const noName = fillEnrollmentRequest(TEMPLATE, { csr, uid: "alice" }, "p");
  assert.deepEqual(noName.Input![2].Attribute, [{ name: "ra_client_uid", Value: "alice" }, {
    name: "ra_client_name",
  }]);
});

Deno.test("enrollment request: a template with no PKCS#10 input, or not a template, is a 500", () => {
  assert.throws(
    () => fillEnrollmentRequest({ Input: [TEMPLATE.Input[1]] }, { csr, uid: "a" }, "caUserCert"),
    (err) =>
      err instanceof InternalError &&
      err.message === 'CA profile "caUserCert" has no PKCS#10 input (certReqInputImpl cert_request)',
  );
  for (const bad of [null, [], "x", { Input: "x" }]) {
    assert.throws(
      () => fillEnrollmentRequest(bad, { csr, uid: "a" }, "p"),
      /Unexpected answer from the CA to profile/,
    );
  }
  assert.throws(
    () =>
      fillEnrollmentRequest(
        { Input: [{ ClassID: "certReqInputImpl", Attribute: "x" }] },
        { csr, uid: "a" },
        "p",
      ),
    /has no PKCS#10 input/,
  );
});

Deno.test("enrollment request: request infos, IDs and outcomes", () => {
  const info = firstRequestInfo({
    total: 1,
    entries: [{ requestID: "0x1f", requestStatus: "complete", certId: "0x2a" }],
  });
  assert.equal(requestIdOf(info), "0x1f");
  assert.equal(certIdOf(info, "submit"), "0x2a");
  assert.equal(requestIdOf({ requestURL: "https://ca:8443/ca/v2/certrequests/31" }), "31");
  for (const bad of [{}, { entries: [] }, { entries: ["x"] }, null]) {
    assert.throws(() => firstRequestInfo(bad), /Unexpected answer from the CA to submit/);
  }
  assert.throws(() => requestIdOf({ requestID: "../admin" }), InternalError);
  assert.throws(() => requestIdOf({}), InternalError);
  assert.throws(() => certIdOf({ certId: "0xZZ" }, "request"), /to request$/);
  assert.throws(() => requestInfoOf("x", "request"), /to request$/);

  checkRequestOutcome({ requestStatus: "complete" });
  checkRequestOutcome({ requestStatus: "pending", errorMessage: null });
  const outcomes: [CertRequestInfo, typeof BadRequestError | typeof InternalError, string][] = [
    [
      { requestStatus: "rejected", errorMessage: "Subject Name Not Matched" },
      BadRequestError,
      "Certificate request rejected: Subject Name Not Matched",
    ],
    [{ requestStatus: "rejected" }, BadRequestError, "Certificate request rejected: request rejected"],
    [{ requestStatus: "canceled" }, BadRequestError, "Certificate request rejected: request canceled"],
    [
      { requestStatus: "pending", errorMessage: "Server Internal Error" },
      InternalError,
      "Unable to generate certificate: Server Internal Error",
    ],
  ];
  for (const [outcome, type, message] of outcomes) {
    assert.throws(
      () => checkRequestOutcome(outcome),
      (err) => err instanceof type && err.message === message,
    );
  }
});

Deno.test("enrollment request: the certificate comes from CertData's PEM Encoded", async () => {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
    "verify",
  ]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "2a",
    name: "CN=test",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
  });
  assert.equal(certificateOf({ id: "0x2a", Encoded: cert.toString("pem") }).serialNumber, "2a");
  for (const bad of [{}, { Encoded: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" }, "x"]) {
    assert.throws(() => certificateOf(bad), /Unexpected answer from the CA to cert/);
  }
});
