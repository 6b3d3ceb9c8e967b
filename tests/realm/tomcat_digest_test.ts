import assert from "node:assert/strict";
import { matchesTomcatDigest, tomcatDigest } from "../../src/realm/postgresql/tomcat_digest.ts";

const SHA512 = { algorithm: "sha512", encoding: "utf8" as const };

// Vectors computed independently (Python hashlib), in Tomcat's digest(salt ‖ password) then digest(previous) order.
const STORED_1000 =
  "a1b2c3d4e5f60718$1000$161f34b190a7a7df5db759c6d2a6a479c420d7f302432db3586475f111accd55b7f05c0b228f6c2dbd8752ed24722411a8c0052aeec8319ad0cf8696c02e2508";

Deno.test("tomcat digest: salt$iterations$hex verifies the right password only", () => {
  assert.equal(matchesTomcatDigest(SHA512, "Secret.123", STORED_1000), true);
  assert.equal(matchesTomcatDigest(SHA512, "Secret.124", STORED_1000), false);
  assert.equal(matchesTomcatDigest(SHA512, "", STORED_1000), false);
  assert.equal(matchesTomcatDigest(SHA512, "Secret.123", STORED_1000.toUpperCase()), true, "hex in any case");
  assert.equal(matchesTomcatDigest({ ...SHA512, algorithm: "sha256" }, "Secret.123", STORED_1000), false);
});

Deno.test("tomcat digest: bare hex, other algorithms and ISO-8859-1", () => {
  const sha256 = { algorithm: "sha256", encoding: "utf8" as const };
  assert.equal(
    matchesTomcatDigest(
      sha256,
      "Secret.123",
      "cc414511ba95cb7917becff8532ed4d2f9ebf97cccf88a9de1babd8dc3be5ed4",
    ),
    true,
  );
  const md5Latin1 = { algorithm: "md5", encoding: "latin1" as const };
  assert.equal(matchesTomcatDigest(md5Latin1, "pässword", "00ff$1$2ac6ea29856fb05b6dd44ea3cdf47e4a"), true);
  assert.equal(
    matchesTomcatDigest(
      { ...md5Latin1, encoding: "utf8" },
      "pässword",
      "00ff$1$2ac6ea29856fb05b6dd44ea3cdf47e4a",
    ),
    false,
  );
});

Deno.test("tomcat digest: what it writes, it reads", () => {
  const salt = new Uint8Array([1, 2, 3, 4]);
  const stored = tomcatDigest(SHA512, "pw", salt, 3);
  assert.match(stored, /^01020304\$3\$[0-9a-f]{128}$/);
  assert.equal(matchesTomcatDigest(SHA512, "pw", stored), true);
});

Deno.test("tomcat digest: malformed stored values never match", () => {
  for (
    const stored of [
      "",
      "plaintext",
      "Secret.123",
      "a1$1",
      "a1$1$",
      "zz$1$00",
      "a1$x$00",
      "a1$0$00",
      "a1$99999999$00",
      "a1$1$abc",
      "a1$1$00$00",
      "$$",
    ]
  ) {
    assert.equal(matchesTomcatDigest(SHA512, "Secret.123", stored), false, JSON.stringify(stored));
  }
});
