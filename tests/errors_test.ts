import assert from "node:assert/strict";
import {
  dogtagErrorBody,
  errorResponse,
  MAX_PLAIN_MESSAGE,
  plainErrorBody,
} from "../src/est/error_response.ts";
import {
  BadRequestError,
  type EstError,
  ForbiddenError,
  InternalError,
  MethodNotAllowedError,
  NotFoundError,
  NotImplementedError,
  PayloadTooLargeError,
  RequestTimeoutError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  UpstreamError,
} from "../src/errors.ts";

Deno.test("errors: each class carries its status, message and headers", () => {
  const cases: [EstError, number, Record<string, string>][] = [
    [new BadRequestError("b"), 400, {}],
    [new UnauthorizedError("u", 'My "Realm"'), 401, { "WWW-Authenticate": 'Basic realm="My Realm"' }],
    [new ForbiddenError("f"), 403, {}],
    [new NotFoundError("n"), 404, {}],
    [new MethodNotAllowedError(["GET", "HEAD"]), 405, { Allow: "GET, HEAD" }],
    [new RequestTimeoutError(30), 408, { Connection: "close" }],
    [new PayloadTooLargeError(10), 413, {}],
    [new UnsupportedMediaTypeError("m"), 415, {}],
    [new InternalError("i"), 500, {}],
    [new NotImplementedError("ni"), 501, {}],
    [new UpstreamError(409, "conflict"), 409, {}],
    [new UnavailableError("x"), 503, {}],
    [new UnavailableError("x", 30), 503, { "Retry-After": "30" }],
  ];
  for (const [error, status, headers] of cases) {
    assert.equal(error.status, status);
    assert.deepEqual({ ...error.headers }, headers);
    assert.equal(error.name, "EstError");
  }
  assert.equal(new PayloadTooLargeError(10).message, "Request body exceeds the limit of 10 bytes");
});

Deno.test("errors: Dogtag class names per status", () => {
  assert.equal(new BadRequestError("").dogtagClassName, "com.netscape.certsrv.base.BadRequestException");
  assert.equal(
    new UnauthorizedError("", "r").dogtagClassName,
    "com.netscape.certsrv.base.UnauthorizedException",
  );
  assert.equal(new ForbiddenError("").dogtagClassName, "com.netscape.certsrv.base.ForbiddenException");
  assert.equal(new NotFoundError("").dogtagClassName, "com.netscape.certsrv.base.ResourceNotFoundException");
  assert.equal(
    new UnsupportedMediaTypeError("").dogtagClassName,
    "com.netscape.certsrv.base.UnsupportedMediaType",
  );
  assert.equal(new InternalError("").dogtagClassName, "com.netscape.certsrv.base.PKIException");
  assert.equal(new UnavailableError("").dogtagClassName, "com.netscape.certsrv.base.PKIException");
});

Deno.test("errors: Dogtag JSON body is byte for byte what its CI compares", () => {
  assert.equal(
    dogtagErrorBody(new ForbiddenError("CSR subject does not match user certificate.")),
    `{
  "Attributes" : {
    "Attribute" : [ ]
  },
  "ClassName" : "com.netscape.certsrv.base.ForbiddenException",
  "Code" : 403,
  "Message" : "CSR subject does not match user certificate."
}`,
  );
});

Deno.test("errors: responses are text/plain by default, JSON in dogtag style, sized", async () => {
  const plain = errorResponse(new ForbiddenError("no"), "standard");
  assert.equal(plain.status, 403);
  assert.equal(plain.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(await plain.text(), "no\n");
  assert.equal(plain.headers.get("content-length"), "3");
  const dogtag = errorResponse(new UnauthorizedError("who?", "EST"), "dogtag");
  assert.equal(dogtag.headers.get("content-type"), "application/json");
  assert.equal(dogtag.headers.get("www-authenticate"), 'Basic realm="EST"');
  assert.match(await dogtag.text(), /"Code" : 401,/);
});

Deno.test("errors: anything else becomes a 500 that reveals nothing", async () => {
  const res = errorResponse(new Error("secret stack details"), "standard");
  assert.equal(res.status, 500);
  assert.equal(await res.text(), "Internal server error\n");
});

Deno.test("errors: an upstream CA error keeps the CA's status and exception class", async () => {
  const conflict = new UpstreamError(
    409,
    "Request not pending",
    "com.netscape.certsrv.base.ConflictingOperationException",
  );
  assert.equal(conflict.dogtagClassName, "com.netscape.certsrv.base.ConflictingOperationException");
  assert.equal(
    new UpstreamError(404, "CA not found").dogtagClassName,
    "com.netscape.certsrv.base.ResourceNotFoundException",
  );
  assert.equal(new NotImplementedError("no").dogtagClassName, "com.netscape.certsrv.base.PKIException");
  const res = errorResponse(conflict, "dogtag");
  assert.equal(res.status, 409);
  assert.match(
    await res.text(),
    /"ClassName" : "com\.netscape\.certsrv\.base\.ConflictingOperationException",\n {2}"Code" : 409,/,
  );
});

Deno.test("errors: a plain-text body is one bounded line, whatever the message holds", async () => {
  const res = errorResponse(new ForbiddenError("denied:\r\n  not on\tthe list\x1b[0m\n"), "standard");
  assert.equal(await res.text(), "denied: not on the list [0m\n");
  const long = await errorResponse(new ForbiddenError("x".repeat(2000)), "standard").text();
  assert.equal(long.length, MAX_PLAIN_MESSAGE + 1);
  assert.match(long, /^x+\.\.\.\n$/);
  assert.equal(plainErrorBody("\n\n"), "Error\n");
  assert.equal(plainErrorBody("Unknown label"), "Unknown label\n");
});
