import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runClientCaptured } from "../support/client_io.ts";
import { BASIC, clientTmp, enrollAlice, fileIn, server, trusted } from "../support/client_fixtures.ts";
import { startTestServer } from "../support/server.ts";
import { run } from "../support/tools.ts";

/** The built-in client's usage errors, local file failures, and main.ts as a process. */

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("client: usage errors exit 2 before any request", opts, async () => {
  const cases: [string[], RegExp][] = [
    [[], /usage: pki-est-server client COMMAND/],
    [["frobnicate", "--server", "x"], /unknown command "frobnicate"/],
    [["cacerts"], /name the server/],
    [["cacerts", "--server", "http://127.0.0.1:1"], /https:\/\/ URL/],
    [["cacerts", "--server", "127.0.0.1:1/est"], /only https:\/\/HOST\[:PORT\]/],
    [["cacerts", "--server", "127.0.0.1:1", "--cn", "x"], /--cn does not apply to "cacerts"/],
    [["cacerts", "--server", "127.0.0.1:1", "--fingerprint", "00"], /--fingerprint goes with --bootstrap/],
    [["cacerts", "--server", "127.0.0.1:1", "--bootstrap", "--fingerprint", "00"], /64 hex digits/],
    [["cacerts", "--server", "127.0.0.1:1", "--bootstrap", "--cacert", "x"], /not both/],
    [["cacerts", "--server", "127.0.0.1:1", "--label", "a/b"], /is not a label/],
    [["cacerts", "--server", "127.0.0.1:1", "--timeout", "0"], /--timeout must be a whole number/],
    [["enroll", "--server", "127.0.0.1:1", "--user", "u"], /--user needs a password/],
    [["enroll", "--server", "127.0.0.1:1", "--password", "p"], /a password needs --user/],
    [
      ["enroll", "--server", "127.0.0.1:1", "--user", "u", "--password", "p", "--password-file", "f"],
      /not both/,
    ],
    [["enroll", "--server", "127.0.0.1:1", "--user", "u", "--password-file", "/nonexistent"], /cannot read/],
    [["enroll", "--server", "127.0.0.1:1", "--cert", "c"], /--cert and --key go together/],
    [["enroll", "--server", "127.0.0.1:1", "--key-type", "dsa"], /unknown key type "dsa"/],
    [["reenroll", "--server", "127.0.0.1:1"], /reenroll needs the current certificate/],
    [["enroll", "--server", "127.0.0.1:1", "--bogus"], /Unknown option '--bogus'/],
    [["cacerts", "--server", "127.0.0.1:1", "extra"], /unexpected argument "extra"/],
    [
      ["enroll", "--server", "127.0.0.1:1", "--out", "same", "--key-out", "same"],
      /must name different files/,
    ],
  ];
  for (const [args, message] of cases) {
    const result = await runClientCaptured(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  const help = await runClientCaptured(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /exit codes: 0 success, 1 refused or failed/);
});

Deno.test("client: usage errors that need a server are still exit 2", opts, async () => {
  const srv = await startTestServer();
  try {
    const cases: [string[], RegExp][] = [
      [["enroll", ...trusted(srv), ...BASIC, "--out", "x", "--key-out", "y"], /name the subject/],
      [[
        "enroll",
        ...trusted(srv),
        ...BASIC,
        "--cn",
        "a",
        "--subject",
        "CN=a",
        "--out",
        "x",
        "--key-out",
        "y",
      ], /not both/],
      [["enroll", ...trusted(srv), ...BASIC, "--cn", "alice", "--out", "x"], /--key-out FILE/],
      [["enroll", ...trusted(srv), ...BASIC, "--cn", "alice", "--key-out", "x"], /--out FILE/],
      [[
        "enroll",
        ...trusted(srv),
        ...BASIC,
        "--cn",
        "a",
        "--ip",
        "1.2.3.999",
        "--out",
        "x",
        "--key-out",
        "y",
      ], /not an IP/],
      [["serverkeygen", ...trusted(srv), ...BASIC, "--cn", "alice", "--out", "x"], /--key-out FILE/],
    ];
    for (const [args, message] of cases) {
      const result = await runClientCaptured(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  } finally {
    await srv.close();
  }
});

Deno.test("client: main.ts client runs as a process with its exit codes", opts, async () => {
  const srv = await startTestServer();
  try {
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const cert = fileIn("cert.pem");
    const key = fileIn("key.pem");
    const enroll = await run(Deno.execPath(), [
      "run",
      "-A",
      main,
      "client",
      "enroll",
      ...trusted(srv),
      ...BASIC,
      "--cn",
      "alice",
      "--key-out",
      key,
      "--out",
      cert,
    ]);
    assert.equal(enroll.code, 0, enroll.stderr);
    assert.match(enroll.stderr, /issued: CN=alice, serial [0-9a-f]+/);
    assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
    const refused = await run(Deno.execPath(), ["run", "-A", main, "client", "health", ...server(srv)]);
    assert.equal(refused.code, 1);
    const usage = await run(Deno.execPath(), ["run", "-A", main, "client"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: pki-est-server client/);
  } finally {
    await srv.close();
  }
});

Deno.test("client: unusable local files fail with exit 1 naming the file", opts, async () => {
  const srv = await startTestServer();
  try {
    const notPem = fileIn("not.pem");
    await Deno.writeTextFile(notPem, "hello\n");
    const badCert = fileIn("bad-cert.pem");
    await Deno.writeTextFile(badCert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    const { key } = await enrollAlice(srv);
    const enroll = (more: string[]) => [
      "enroll",
      ...BASIC,
      "--cn",
      "alice",
      "--key-out",
      fileIn("k.pem"),
      ...more,
    ];
    const cases: [string[], RegExp][] = [
      [["cacerts", ...server(srv), "--cacert", fileIn("missing.pem")], /cannot read --cacert .*missing\.pem/],
      [["cacerts", ...server(srv), "--cacert", notPem], /--cacert .* holds no PEM certificate/],
      [["health", ...trusted(srv), "--cert", notPem, "--key", key], /--cert .* is not a PEM file/],
      [
        [
          "reenroll",
          ...trusted(srv),
          "--cert",
          badCert,
          "--key",
          key,
          "--key-out",
          fileIn("k"),
          "--out",
          fileIn("c"),
        ],
        /--cert .* holds no readable certificate/,
      ],
      [
        ["enroll", ...trusted(srv), "--reuse-key", notPem, "--cn", "alice", "--out", fileIn("c")],
        /is not a PEM file/,
      ],
      [
        enroll([...trusted(srv), "--out", join(clientTmp, "no-such-dir", "c.pem")]),
        /cannot write .*no-such-dir/,
      ],
      [
        ["cacerts", ...server(srv), "--label", "nope", "--bootstrap", "--fingerprint", "00".repeat(32)],
        /HTTP 404/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runClientCaptured(args);
      assert.equal(result.code, 1, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    const v6 = await runClientCaptured(enroll([...trusted(srv), "--ip", "::1", "--out", fileIn("c.pem")]));
    assert.equal(v6.code, 1, "an IPv6 SAN is accepted by the client; this server's identity rule refuses it");
    assert.match(v6.stderr, /HTTP 403: .*SubjectAlternativeName/);
  } finally {
    await srv.close();
  }
});
