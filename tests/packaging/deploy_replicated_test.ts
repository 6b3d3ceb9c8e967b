import "reflect-metadata";
import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { loadSettings } from "../../src/config/boundary.ts";
import { serverTomlSchema } from "../../src/config/schema.ts";
import { INSTALLED_STATE_DIR } from "../../tools/stage.ts";
import { makeOpensslCa, makeSelfSigned } from "../support/pki.ts";
import { tempDir } from "../support/temp.ts";

// deno-lint-ignore no-explicit-any
type Doc = any;

const dir = new URL("../../deploy/kubernetes-replicated/", import.meta.url).pathname;
const read = (file: string) => Deno.readTextFileSync(join(dir, file));
const files = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name).sort();
const docs: Doc[] = files.filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
  .flatMap((f) => parseAllDocuments(read(f)).map((d) => d.toJS()));
const byKind = (kind: string): Doc[] => docs.filter((d) => d.kind === kind);
const secretNamed = (name: string): Doc => byKind("Secret").find((s) => s.metadata.name === name);

const [deployment] = byKind("Deployment");
const pod = deployment.spec.template.spec;
const [container] = pod.containers;
const serverToml = byKind("ConfigMap")[0].data["server.toml"];
const toml = serverTomlSchema.parse(parseToml(serverToml));

/** The Secret (and key in it) that the file at `path` in the container comes from. */
function secretFileAt(path: string): { secret: Doc; key: string } {
  const mount = container.volumeMounts.find((m: Doc) => m.mountPath === dirname(path));
  assert.ok(mount, `a volume is mounted at ${dirname(path)}`);
  assert.equal(mount.readOnly, true, `${mount.mountPath} is read-only`);
  const volume = pod.volumes.find((v: Doc) => v.name === mount.name);
  const secret = secretNamed(volume.secret.secretName);
  const key = volume.secret.items?.find((i: Doc) => i.path === basename(path))?.key ?? basename(path);
  assert.ok(key in secret.stringData, `${secret.metadata.name} holds ${key}`);
  return { secret, key };
}

Deno.test("deploy (replicated local CA): every file parses and the kustomization lists them", () => {
  for (const file of files.filter((f) => f.endsWith(".yaml"))) {
    for (const doc of parseAllDocuments(read(file))) assert.deepEqual(doc.errors, [], file);
  }
  const listed = parseYaml(read("kustomization.yaml")).resources as string[];
  assert.deepEqual([...listed].sort(), files.filter((f) => f !== "kustomization.yaml"));
});

Deno.test("deploy (replicated local CA): replicas share the store and the CA key, read-only, from Secrets", () => {
  assert.ok(deployment.spec.replicas >= 2);
  assert.equal(toml.server.state_dir, INSTALLED_STATE_DIR);
  const url = new URL(toml.store.url!);
  assert.equal(url.password, "", "no password in the ConfigMap");
  const password = container.env.find((e: Doc) => e.name === "PGPASSWORD").valueFrom.secretKeyRef;
  assert.ok(password.key in secretNamed(password.name).stringData);
  secretFileAt(url.searchParams.get("sslrootcert")!);
  const backend = (toml as Doc).backend;
  assert.equal(backend.class, "local-ca");
  assert.equal(secretFileAt(backend.caCertFile).secret, secretFileAt(backend.caKeyFile).secret);
  assert.equal(secretFileAt(toml.server.tls_cert!).secret.type, "kubernetes.io/tls");
  secretFileAt(toml.server.tls_key!);
});

Deno.test("deploy (replicated local CA): the publishing listener is exposed by a Service at base_url", () => {
  const ports = Object.fromEntries(container.ports.map((p: Doc) => [p.name, p.containerPort]));
  assert.deepEqual(toml.server.bind, { host: "0.0.0.0", port: ports.https });
  assert.deepEqual(toml.metrics.bind, { host: "0.0.0.0", port: ports.metrics });
  assert.deepEqual(toml.publish.bind, { host: "0.0.0.0", port: ports.publish });
  const labels = deployment.spec.template.metadata.labels;
  assert.deepEqual(deployment.spec.selector.matchLabels, labels);
  const services = byKind("Service");
  for (const service of services) assert.deepEqual(service.spec.selector, labels);
  const targets = services.flatMap((s: Doc) => s.spec.ports.map((p: Doc) => p.targetPort)).sort();
  assert.deepEqual(targets, ["https", "publish"]);
  const publish = services.find((s: Doc) => s.spec.ports[0].targetPort === "publish");
  assert.equal(publish.spec.type, "LoadBalancer");
  assert.equal(new URL(toml.publish.base_url!).port, "", `port ${publish.spec.ports[0].port} of the Service`);
  assert.equal(publish.spec.ports[0].port, 80);
  const [policy] = byKind("NetworkPolicy");
  assert.deepEqual(policy.spec.podSelector.matchLabels, labels);
  const open = policy.spec.ingress.filter((r: Doc) => r.from === undefined)
    .flatMap((r: Doc) => r.ports.map((p: Doc) => p.port));
  assert.deepEqual(open.sort(), ["https", "publish"]);
  assert.ok(policy.spec.egress.some((r: Doc) => r.ports.some((p: Doc) => p.port === 5432)));
  assert.deepEqual(byKind("PodDisruptionBudget")[0].spec.selector.matchLabels, labels);
});

/**
 * Loads `serverToml` as check-config does, its absolute paths moved under a
 * temporary root where the CA and TLS files they name are made for real.
 */
async function loadRooted(serverToml: string, realmConf: string) {
  const root = await tempDir({ prefix: "est-deploy-replicated-" });
  const at = (path: string) => join(root, path);
  const parsed = serverTomlSchema.parse(parseToml(serverToml)) as Doc;
  const ca = await makeOpensslCa(root, "Replicated CA");
  const tls = await makeSelfSigned(root, "/CN=est.example.com");
  const copies: [string, string][] = [
    [ca.certPath, parsed.backend.caCertFile],
    [ca.keyPath, parsed.backend.caKeyFile],
    [tls.certPath, parsed.server.tls_cert],
    [tls.keyPath, parsed.server.tls_key],
  ];
  for (const [from, to] of copies) {
    await Deno.mkdir(dirname(at(to)), { recursive: true });
    await Deno.copyFile(from, at(to));
  }
  const config = at("/etc/pki/est");
  await Deno.mkdir(config, { recursive: true });
  await Deno.writeTextFile(join(config, "realm.conf"), realmConf);
  const rooted = serverToml.replace(/"\/(etc|var)\//g, `"${root}/$1/`).replace(
    "sslrootcert=/",
    `sslrootcert=${root}/`,
  );
  await Deno.writeTextFile(join(config, "server.toml"), rooted);
  return { settings: await loadSettings(config), parsed };
}

Deno.test("deploy (replicated local CA): the configuration loads as check-config loads it", async () => {
  const { settings } = await loadRooted(serverToml, secretNamed("est-ca-secrets").stringData["realm.conf"]);
  assert.equal(settings.backend.kind, "local-ca");
  assert.equal(settings.realm?.kind, "in-memory");
  assert.match(settings.store.url!, /^postgres:\/\/est@postgres\.database\.svc:5432\/est\?/);
  assert.equal(settings.publish.baseUrl, toml.publish.base_url);
});

Deno.test("deploy (replicated local CA on hosts): server.toml loads; the password comes from the drop-in's file", async () => {
  const systemd = new URL("../../deploy/systemd/replicated/", import.meta.url).pathname;
  const text = Deno.readTextFileSync(join(systemd, "server.toml"));
  const realm = "class=in-memory\nusername=device-enroller\npassword=change-me\nroles=estclient\n";
  const { settings, parsed } = await loadRooted(text, realm);
  assert.equal(settings.backend.kind, "local-ca");
  assert.equal(parsed.server.state_dir, INSTALLED_STATE_DIR);
  assert.deepEqual(parsed.publish.bind, { host: "0.0.0.0", port: 8080 });
  assert.ok(parsed.publish.base_url);
  const url = new URL(settings.store.url!);
  assert.equal(url.password, "");
  const dropIn = Deno.readTextFileSync(join(systemd, "store.conf"));
  const envFile = dropIn.match(/^EnvironmentFile=(\S+)$/m)?.[1];
  assert.equal(dirname(envFile!), "/etc/pki/est");
  assert.match(dropIn, /^\[Service\]$/m);
  assert.match(dropIn, /PGPASSWORD=/);
});
