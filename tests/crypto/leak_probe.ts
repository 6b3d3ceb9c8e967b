import { openOpensslProvider } from "../../src/crypto/openssl/provider.ts";
import { x509SignaturesOf } from "../../src/crypto/x509_signatures.ts";

/**
 * The workload of leak_test.ts, in a process of its own (so RSS is only
 * this): N OpenSSL sign/verify operations in ten rounds (each verification
 * through a freshly imported public key), with RSS read after
 * each round. Prints one JSON line of figures. Run with --expose-gc so the
 * heap is collected before each reading (garbage then does not count).
 */

const operations = Number(Deno.args[0] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function rssBytes(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024;
}

function settle(): { rss: number; heap: number } {
  for (let i = 0; i < 3; i++) gc();
  return { rss: rssBytes(), heap: Deno.memoryUsage().heapTotal };
}

const provider = openOpensslProvider();
const subtle = provider.crypto.subtle;
const EC = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA = { name: "ECDSA", hash: "SHA-256" };
const keys = await subtle.generateKey(EC, false, ["sign", "verify"]) as CryptoKeyPair;
const spkis: ArrayBuffer[] = [];
for (let i = 0; i < 256; i++) {
  const pair = await subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
  spkis.push(await subtle.exportKey("spki", pair.publicKey));
}
const data = new Uint8Array(600).fill(7);
const signature = await subtle.sign(ECDSA, keys.privateKey, data);

const x509 = x509SignaturesOf(provider.crypto);
const x509Signature = await x509.sign({ ...ECDSA, ...EC }, keys.privateKey, data);

/**
 * `count` operations, in groups of eight: three WebCrypto signatures, one
 * verification through a newly imported key, and the same again as X.509
 * signatures (a key parsed and freed per verification).
 */
async function run(count: number): Promise<void> {
  for (let i = 0; i < count; i += 8) {
    const spki = spkis[(i / 8) % spkis.length];
    for (let j = 0; j < 3; j++) await subtle.sign(ECDSA, keys.privateKey, data);
    const key = await subtle.importKey("spki", spki, EC, true, ["verify"]);
    if (await subtle.verify(ECDSA, key, signature, data)) throw new Error("a stranger's key verified");
    for (let j = 0; j < 3; j++) await x509.sign({ ...ECDSA, ...EC }, keys.privateKey, data);
    if (await x509.verify(new Uint8Array(spki), { ...ECDSA, ...EC }, x509Signature, data)) {
      throw new Error("a stranger's key verified an X.509 signature");
    }
  }
}

await run(20_000); // warm-up: JIT, allocator arenas, the handle set filled
const before = settle();
const rounds: number[] = [];
const started = performance.now();
for (let round = 0; round < 10; round++) {
  await run(operations / 10);
  rounds.push(settle().rss);
}
const seconds = (performance.now() - started) / 1000;
const after = settle();
const handles = provider.handleCounts();
provider.close();
console.log(JSON.stringify({
  operations,
  seconds,
  rssBefore: before.rss,
  rssRounds: rounds,
  heapBefore: before.heap,
  heapAfter: after.heap,
  handles,
  handlesAfterClose: provider.handleCounts(),
}));
