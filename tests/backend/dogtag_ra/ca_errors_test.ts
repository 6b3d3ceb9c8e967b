import assert from "node:assert/strict";
import { CaUnreachableError, ResponseTooLargeError } from "../../../src/backend/dogtag_ra/ca_client.ts";
import {
  CA_AUTH_FAILED,
  caResponseError,
  caTransportError,
  jsonOf,
} from "../../../src/backend/dogtag_ra/ca_errors.ts";

function response(status: number, body: string, type?: string) {
  return {
    status,
    headers: new Headers(type ? { "Content-Type": type } : {}),
    body: new TextEncoder().encode(body),
  };
}

Deno.test("ca errors: statuses and bodies become this server's errors", () => {
  const cases: [ReturnType<typeof response>, number, string, string][] = [
    [response(401, "<html/>", "text/html"), 500, CA_AUTH_FAILED, "com.netscape.certsrv.base.PKIException"],
    [
      response(
        404,
        '{"ClassName":"com.netscape.certsrv.cert.CertNotFoundException","Code":404,"Message":"gone"}',
        "application/json",
      ),
      404,
      "gone",
      "com.netscape.certsrv.cert.CertNotFoundException",
    ],
    [
      response(
        400,
        '{"ClassName":"java.lang.Evil Class","Code":"x","Message":"odd"}',
        "application/json; charset=UTF-8",
      ),
      400,
      "odd",
      "com.netscape.certsrv.base.BadRequestException",
    ],
    [
      response(400, '{"Code":400}', "application/json"),
      400,
      "The CA answered HTTP 400 to cert",
      "com.netscape.certsrv.base.BadRequestException",
    ],
    [
      response(500, "{not json", "application/json"),
      500,
      "The CA answered HTTP 500 to cert",
      "com.netscape.certsrv.base.PKIException",
    ],
    [response(504, ""), 503, "The CA is unavailable", "com.netscape.certsrv.base.PKIException"],
    [
      response(302, ""),
      500,
      "Unexpected answer from the CA to cert: HTTP 302",
      "com.netscape.certsrv.base.PKIException",
    ],
  ];
  for (const [res, status, message, className] of cases) {
    const err = caResponseError(res, "cert");
    assert.deepEqual([err.status, err.message, err.dogtagClassName], [status, message, className]);
  }
  assert.equal(caResponseError(response(504, ""), "cert").headers["Retry-After"], "30");
});

Deno.test("ca errors: JSON answers, and transport failures", () => {
  assert.deepEqual(jsonOf(response(200, '{"a":1}', "application/json;charset=UTF-8"), "login"), { a: 1 });
  assert.throws(
    () => jsonOf(response(200, "{", "application/json"), "login"),
    /to login: application\/json, not JSON/,
  );
  assert.throws(() => jsonOf(response(200, "{}"), "login"), /to login: no content type, not JSON/);
  const timedOut = caTransportError(new CaUnreachableError("login", true, new Error("x")));
  assert.deepEqual([timedOut.status, timedOut.message], [503, "The CA did not answer in time"]);
  const refused = caTransportError(new CaUnreachableError("login", false, new Error("refused")));
  assert.deepEqual([refused.status, refused.message], [503, "The CA is unreachable"]);
  const large = caTransportError(new ResponseTooLargeError(10));
  assert.deepEqual([large.status, large.message], [500, "The CA's answer could not be read"]);
});
