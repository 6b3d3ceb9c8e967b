import "reflect-metadata";
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { serverTomlSchema } from "../../src/config/schema.ts";
import { INSTALLED_STATE_DIR } from "../../tools/stage.ts";
import { curl } from "../support/curl.ts";
import { exportedNames, metricNamesIn, SYNTHETIC_SERIES } from "../support/prometheus_names.ts";
import { startTestServer } from "../support/server.ts";
import { tempDir } from "../support/temp.ts";
import { hasTool } from "../support/tools.ts";

// deno-lint-ignore no-explicit-any
type Doc = any;

const opts = { sanitizeOps: false, sanitizeResources: false };
const deploy = new URL("../../deploy/", import.meta.url).pathname;
const defaults = serverTomlSchema.parse({});
const read = (path: string) => Deno.readTextFileSync(join(deploy, path));

function filesUnder(dir: string): string[] {
  return [...Deno.readDirSync(join(deploy, dir))].filter((e) => e.isFile).map((e) => join(dir, e.name))
    .sort();
}

function kubernetesDocs(): Doc[] {
  return filesUnder("kubernetes").filter((f) => f.endsWith(".yaml") && !f.endsWith("kustomization.yaml"))
    .flatMap((f) => parseAllDocuments(read(f)).map((d) => d.toJS()));
}

const byKind = (kind: string): Doc[] => kubernetesDocs().filter((d) => d.kind === kind);

Deno.test("deploy: every YAML and JSON file parses", () => {
  const files = ["kubernetes", "prometheus", "grafana"].flatMap(filesUnder);
  assert.ok(files.length >= 10, files.join(", "));
  for (const file of files) {
    if (/\.ya?ml$/.test(file)) {
      for (const doc of parseAllDocuments(read(file))) assert.deepEqual(doc.errors, [], file);
    } else if (file.endsWith(".json")) {
      JSON.parse(read(file));
    }
  }
  const listed = parseYaml(read("kubernetes/kustomization.yaml")).resources as string[];
  const present = filesUnder("kubernetes").map((f) => basename(f)).filter((f) => f !== "kustomization.yaml");
  assert.deepEqual([...listed].sort(), present);
});

Deno.test("deploy: the Deployment's ports, probes, resources and security match the server's defaults", () => {
  const [deployment] = byKind("Deployment");
  const pod = deployment.spec.template.spec;
  const [container] = pod.containers;
  const ports = Object.fromEntries(container.ports.map((p: Doc) => [p.name, p.containerPort]));
  assert.deepEqual(ports, { https: defaults.server.bind.port, metrics: defaults.metrics.bind.port });
  for (const [probe, path] of [["livenessProbe", "/health"], ["readinessProbe", "/ready"]]) {
    assert.deepEqual(container[probe].httpGet, { path, port: "https", scheme: "HTTPS" }, probe);
  }
  assert.deepEqual(container.resources, {
    requests: { memory: "64Mi", cpu: "100m" },
    limits: { memory: "256Mi", cpu: "500m" },
  });
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.runAsNonRoot, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);
  assert.equal(pod.securityContext.runAsNonRoot, true);

  // The ConfigMap's server.toml: valid, listening where the pod's ports say, files where they are mounted.
  const [configMap] = byKind("ConfigMap");
  const toml = serverTomlSchema.parse(parseToml(configMap.data["server.toml"]));
  assert.equal(toml.server.bind.port, ports.https);
  assert.equal(toml.metrics.bind.port, ports.metrics);
  assert.equal(toml.server.state_dir, INSTALLED_STATE_DIR);
  const mounts = Object.fromEntries(container.volumeMounts.map((m: Doc) => [m.name, m.mountPath]));
  assert.equal(mounts.config, "/etc/pki/est");
  assert.equal(mounts.state, INSTALLED_STATE_DIR);
  assert.ok(toml.server.tls_cert!.startsWith(`${mounts.tls}/`));
  const [tlsSecret] = byKind("Secret").filter((s) => s.type === "kubernetes.io/tls");
  const tlsVolume = pod.volumes.find((v: Doc) => v.name === "tls");
  assert.equal(tlsVolume.secret.secretName, tlsSecret.metadata.name);
  assert.deepEqual(Object.keys(tlsSecret.stringData).sort(), ["tls.crt", "tls.key"]);
  assert.equal(basename(toml.server.tls_cert!), "tls.crt");
  assert.equal(basename(toml.server.tls_key!), "tls.key");
});

Deno.test("deploy: Service, PodDisruptionBudget, NetworkPolicy and scrape config select the pods and their ports", () => {
  const [deployment] = byKind("Deployment");
  const labels = deployment.spec.template.metadata.labels;
  assert.deepEqual(deployment.spec.selector.matchLabels, labels);
  const [service] = byKind("Service");
  assert.deepEqual(service.spec.selector, labels);
  assert.deepEqual(service.spec.ports.map((p: Doc) => p.targetPort), ["https"]);
  const [pdb] = byKind("PodDisruptionBudget");
  assert.deepEqual(pdb.spec.selector.matchLabels, labels);
  const [policy] = byKind("NetworkPolicy");
  assert.deepEqual(policy.spec.podSelector.matchLabels, labels);
  const ingressPorts = policy.spec.ingress.flatMap((r: Doc) => r.ports.map((p: Doc) => p.port));
  assert.deepEqual(ingressPorts.sort(), ["https", "metrics"]);
  const scrape = parseYaml(read("prometheus/scrape.yml"));
  const pods = scrape.scrape_configs.find((c: Doc) => c.kubernetes_sd_configs);
  const keeps = Object.fromEntries(
    pods.relabel_configs.filter((r: Doc) => r.action === "keep")
      .map((r: Doc) => [r.source_labels[0], r.regex]),
  );
  assert.equal(keeps.__meta_kubernetes_pod_label_app, labels.app);
  assert.equal(keeps.__meta_kubernetes_pod_container_port_name, "metrics");
  const hosts = scrape.scrape_configs.find((c: Doc) => c.static_configs);
  for (const target of hosts.static_configs[0].targets) {
    assert.ok(target.endsWith(`:${defaults.metrics.bind.port}`), target);
  }
});

Deno.test(
  "deploy: probe paths answer, and every metric the alerts and the dashboard read is exported",
  opts,
  async () => {
    const alerts = parseYaml(read("prometheus/alerts.yml")).groups.flatMap((g: Doc) => g.rules);
    const dashboard = JSON.parse(read("grafana/pki-est-server.json"));
    const exprs: [string, string][] = [
      ...alerts.map((r: Doc) => [`alert ${r.alert}`, r.expr] as [string, string]),
      ...dashboard.panels.flatMap((p: Doc) => p.targets.map((t: Doc) => [`panel "${p.title}"`, t.expr])),
      ...dashboard.templating.list.filter((v: Doc) => v.query?.query).map((
        v: Doc,
      ) => [`variable ${v.name}`, v.query.query]),
    ];
    for (
      const topic of [
        "est_tls_certificate",
        "est_ca_certificate",
        "est_dependency_up",
        "est_request_duration",
      ]
    ) {
      assert.ok(alerts.some((r: Doc) => r.expr.includes(topic)), `an alert on ${topic}`);
    }
    const srv = await startTestServer();
    try {
      for (const probe of ["/health", "/ready"]) {
        assert.equal(
          (await curl(`https://127.0.0.1:${srv.port}${probe}`, { cacert: srv.caPath })).status,
          200,
        );
      }
      const exposition = await curl(`http://127.0.0.1:${srv.server.metricsPort}/metrics`);
      const exported = exportedNames(exposition.text);
      const used = new Set<string>();
      for (const [where, expr] of exprs) {
        for (const name of metricNamesIn(expr)) {
          used.add(name);
          assert.ok(
            exported.has(name) || SYNTHETIC_SERIES.has(name),
            `${where} reads ${name}, which /metrics does not export`,
          );
        }
      }
      assert.ok(used.size >= 10, [...used].join(", "));
    } finally {
      await srv.close();
    }
  },
);

Deno.test("deploy: metric names are found in PromQL, and strings, labels and functions are not", () => {
  assert.deepEqual(
    [...metricNamesIn(
      'histogram_quantile(0.99, sum by (le, op) (rate(a_bucket{x=~"b|c"}[5m]))) / b_total > 1e3',
    )],
    ["a_bucket", "b_total"],
  );
  assert.deepEqual([...exportedNames("# TYPE h histogram\n# TYPE c counter\n")].sort(), [
    "c",
    "h",
    "h_bucket",
    "h_count",
    "h_sum",
  ]);
});

function unitDirectives(text: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  let section = "";
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    const header = line.match(/^\[(\w+)\]$/);
    if (header) {
      section = header[1];
      continue;
    }
    const at = line.indexOf("=");
    const key = `${section}.${line.slice(0, at)}`;
    directives.set(key, [...(directives.get(key) ?? []), line.slice(at + 1)]);
  }
  return directives;
}

Deno.test("deploy: the systemd unit is hardened, reloads with SIGHUP and keeps state in /var/lib/pki-est", async () => {
  const text = read("systemd/pki-est-server.service");
  const unit = unitDirectives(text);
  const one = (key: string) => unit.get(key)?.[0];
  assert.match(one("Service.ExecStart")!, /^\/\S+\/pki-est-server serve --config \/etc\/pki\/est$/);
  assert.equal(one("Service.ExecReload"), "/bin/kill -HUP $MAINPID");
  assert.equal(`/var/lib/${one("Service.StateDirectory")}`, INSTALLED_STATE_DIR);
  assert.ok(one("Service.DynamicUser") === "yes" || one("Service.User") !== undefined, "a user of its own");
  assert.notEqual(one("Service.User"), "root");
  for (
    const [key, value] of [
      ["ProtectSystem", "strict"],
      ["NoNewPrivileges", "yes"],
      ["ProtectHome", "yes"],
      ["PrivateTmp", "yes"],
      ["RestartPreventExitStatus", "2"],
      ["CapabilityBoundingSet", ""],
    ]
  ) assert.equal(one(`Service.${key}`), value, key);
  // V8 needs writable-executable memory for its JIT.
  assert.notEqual(one("Service.MemoryDenyWriteExecute"), "yes");
  const users = read("systemd/pki-est-server.sysusers.conf");
  assert.match(users, new RegExp(`^u ${one("Service.User")} - .* ${INSTALLED_STATE_DIR} `, "m"));

  if (!hasTool("systemd-analyze")) {
    console.warn(
      "note: systemd-analyze is not installed; the unit's directives were not verified by systemd",
    );
    return;
  }
  const dir = await tempDir({ prefix: "est-unit-" });
  const copy = join(dir, "pki-est-server.service");
  await Deno.writeTextFile(copy, text.replace(/^ExecStart=\S+/m, `ExecStart=${Deno.execPath()}`));
  const verify = await new Deno.Command("systemd-analyze", { args: ["verify", copy], stderr: "piped" })
    .output();
  const complaints = new TextDecoder().decode(verify.stderr).trim();
  assert.equal(verify.code, 0, complaints);
  assert.equal(complaints, "", "systemd-analyze verify complained");
});
