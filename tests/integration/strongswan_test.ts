import assert from "node:assert/strict";
import { join } from "node:path";
import { curl } from "../support/curl.ts";
import { ALICE, certsFromPkcs7Base64, startTestServer } from "../support/server.ts";
import { run, runOk, unlessTool } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: unlessTool("pki") };

Deno.test("interop: strongSwan pki --est enrolls, trusting the chain from cacerts", opts, async () => {
  const srv = await startTestServer();
  const tmp = await tempDir({ prefix: "est-strongswan-" });
  try {
    const cacerts = await curl(`${srv.base}/cacerts`, { cacert: srv.caPath });
    // strongSwan reads one certificate per --cacert file: the local CA chain is just the root here.
    const chain = join(tmp, "ca.pem");
    await Deno.writeTextFile(chain, await certsFromPkcs7Base64(cacerts.text));
    const key = join(tmp, "key.der");
    await runOk("pki", ["--gen", "--type", "ecdsa", "--size", "256", "--outform", "der"]).then((r) =>
      Deno.writeFile(key, r.stdout)
    );
    const req =
      (await runOk("pki", ["--req", "--in", key, "--type", "ecdsa", "--dn", "CN=alice", "--san", "alice"]))
        .stdout;
    const reqPath = join(tmp, "req.der");
    await Deno.writeFile(reqPath, req);
    const est = await run("pki", [
      "--est",
      "--url",
      `https://127.0.0.1:${srv.port}`,
      "--cacert",
      chain,
      "--in",
      reqPath,
      "--userpass",
      ALICE.user,
      "--outform",
      "pem",
    ]);
    assert.equal(est.code, 0, est.stderr);
    assert.match(est.stderr, /Issued certificate is trusted/);
    const issued = join(tmp, "issued.pem");
    await Deno.writeTextFile(issued, est.text);
    await runOk("openssl", ["verify", "-CAfile", chain, issued]);
    const subject = await runOk("openssl", ["x509", "-in", issued, "-noout", "-subject"]);
    assert.equal(subject.text.trim(), "subject=CN = alice");
  } finally {
    await srv.close();
  }
});
