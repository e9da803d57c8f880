import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { beforeAll, describe, expect, test } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseDockerfile } from "./support/dockerfile-instructions.js";
import { kindKey, ManifestSchemaError, validateManifest } from "./support/kubernetes-kinds.js";
import { manifestTypeProblems, type NamedManifest } from "./support/manifest-type-check.js";
import { restrictedPodViolations } from "./support/pod-security.js";
import { configuredPort, REPO_ROOT, readRepoFile, repoPath } from "./support/repository.js";
import { readYamlDocuments, YamlDocumentError } from "./support/yaml-documents.js";

const MANIFEST_DIR = "deploy/kubernetes";

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: tests walk the parsed YAML freely
  spec?: any;
  data?: Record<string, string>;
}

function manifestFiles(): string[] {
  return readdirSync(repoPath(MANIFEST_DIR))
    .filter((file) => /\.ya?ml$/.test(file) && file !== "kustomization.yaml")
    .sort();
}

function loadManifests(): NamedManifest[] {
  return manifestFiles().flatMap((file) =>
    readYamlDocuments(repoPath(`${MANIFEST_DIR}/${file}`)).map((object, index) => ({
      source: `${file}#${index}`,
      object,
    })),
  );
}

const manifests = loadManifests();
const objects = manifests.map(({ object }) => object as Manifest);

function only(kind: string): Manifest {
  const found = objects.filter((object) => object.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as Manifest;
}

const deployment = only("Deployment");
const configMap = only("ConfigMap");
const pod: IPodSpec = deployment.spec.template.spec;
const container = pod.containers.find((c) => c.name === "sentiment-api") as IContainer;

function containerPort(portName: string | number | undefined): number | undefined {
  if (typeof portName === "number") return portName;
  return container.ports?.find((port) => port.name === portName)?.containerPort;
}

describe("Kubernetes manifests: syntax and schemas", () => {
  test("every YAML document under deploy/kubernetes parses without errors or duplicate keys", () => {
    const files = readdirSync(repoPath(MANIFEST_DIR)).filter((file) => /\.ya?ml$/.test(file));
    const documents = files.flatMap((file) =>
      readYamlDocuments(repoPath(`${MANIFEST_DIR}/${file}`)),
    );
    expect(documents.length).toBeGreaterThanOrEqual(files.length);
  });

  test("the YAML reader rejects a document with a duplicate key", () => {
    const dir = mkdtempSync(join(tmpdir(), "yaml-test-"));
    try {
      writeFileSync(join(dir, "twice.yaml"), "kind: Service\nkind: Deployment\n");
      expect(() => readYamlDocuments(join(dir, "twice.yaml"))).toThrow(YamlDocumentError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the manifests contain a Deployment, Service, HorizontalPodAutoscaler, ConfigMap and PodDisruptionBudget", () => {
    expect(manifests.map(({ object }) => kindKey(object)).sort()).toEqual([
      "apps/v1/Deployment",
      "autoscaling/v2/HorizontalPodAutoscaler",
      "policy/v1/PodDisruptionBudget",
      "v1/ConfigMap",
      "v1/Service",
    ]);
  });

  test("every manifest matches the Kubernetes API schema of its kind", () => {
    const failures = manifests.flatMap(({ source, object }) => {
      try {
        validateManifest(object);
        return [];
      } catch (error) {
        return [`${source}: ${(error as Error).message}`];
      }
    });
    expect(failures).toEqual([]);
  });

  test("the schema check rejects a Deployment whose probe port is neither a name nor a number", () => {
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].readinessProbe.httpGet.port = { name: "https" };
    expect(() => validateManifest(broken)).toThrow(ManifestSchemaError);
  });

  describe("field names", () => {
    let problems: string[] = [];
    beforeAll(() => {
      problems = manifestTypeProblems(manifests, REPO_ROOT);
    }, 120_000);

    test("no manifest uses a field that its Kubernetes type does not define", () => {
      expect(problems).toEqual([]);
    });

    test("the field check reports a misspelt probe and a field set at the wrong level", () => {
      // One problem per manifest: TypeScript reports the first unknown field of each object.
      const misspelt = structuredClone(deployment);
      misspelt.spec.template.spec.containers[0].readinesProbe = { periodSeconds: 5 };
      const misplaced = structuredClone(deployment);
      misplaced.spec.template.spec.securityContext.readOnlyRootFilesystem = true;
      const found = manifestTypeProblems(
        [
          { source: "misspelt", object: misspelt },
          { source: "misplaced", object: misplaced },
        ],
        REPO_ROOT,
      );
      expect(found.find((problem) => problem.startsWith("misspelt:"))).toMatch(/readinesProbe/);
      expect(found.find((problem) => problem.startsWith("misplaced:"))).toMatch(
        /readOnlyRootFilesystem/,
      );
    }, 120_000);
  });

  test("kustomization.yaml lists every manifest file and renders with kubectl kustomize", () => {
    const [kustomization] = readYamlDocuments(repoPath(`${MANIFEST_DIR}/kustomization.yaml`)) as [
      { resources: string[] },
    ];
    expect([...kustomization.resources].sort()).toEqual(manifestFiles());

    const rendered = execFileSync("kubectl", ["kustomize", repoPath(MANIFEST_DIR)], {
      encoding: "utf8",
      timeout: 60_000,
    });
    const renderedKinds = parseAllDocuments(rendered)
      .map((document) => document.toJS() as Manifest)
      .map((object) => `${object.kind}/${object.metadata.name}`)
      .sort();
    expect(renderedKinds).toEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort());
  });
});

describe("Kubernetes manifests: Deployment", () => {
  test("the readiness probe is GET /readyz over HTTPS on the service port", () => {
    const probe = container.readinessProbe as IProbe;
    expect(probe.httpGet?.path).toBe("/readyz");
    expect(probe.httpGet?.scheme).toBe("HTTPS");
    expect(containerPort(probe.httpGet?.port)).toBe(configuredPort());
  });

  test("the liveness and startup probes are GET /healthz over HTTPS on the service port", () => {
    for (const probe of [container.livenessProbe, container.startupProbe]) {
      expect(probe?.httpGet?.path).toBe("/healthz");
      expect(probe?.httpGet?.scheme).toBe("HTTPS");
      expect(containerPort(probe?.httpGet?.port)).toBe(configuredPort());
    }
  });

  test("the container listens on the PORT the ConfigMap gives the service", () => {
    expect(Number(configMap.data?.PORT)).toBe(configuredPort());
    expect(containerPort("https")).toBe(Number(configMap.data?.PORT));
    expect(container.envFrom?.map((source) => source.configMapRef?.name)).toContain(
      configMap.metadata.name,
    );
  });

  test("the pod passes the restricted Pod Security Standard with a read-only root filesystem", () => {
    expect(restrictedPodViolations(pod)).toEqual([]);
  });

  test("the pod security check reports a privileged root container", () => {
    const unsafe: IPodSpec = {
      containers: [{ name: "x", securityContext: { privileged: true, runAsUser: 0 } }],
    };
    expect(restrictedPodViolations(unsafe)).toEqual(
      expect.arrayContaining([
        "container x: runAsNonRoot is not true",
        "container x: runs as UID 0",
        "container x: privileged",
        "container x: capabilities do not drop ALL",
        "container x: readOnlyRootFilesystem is not true",
      ]),
    );
  });

  test("the pod runs as the image's numeric user", () => {
    const { stages } = parseDockerfile(readRepoFile("Dockerfile"));
    const user = stages.at(-1)?.instructions.findLast(({ keyword }) => keyword === "USER")?.args;
    const [uid, gid] = (user ?? "").split(":");
    expect(pod.securityContext?.runAsUser).toBe(Number(uid));
    expect(pod.securityContext?.runAsGroup).toBe(Number(gid ?? uid));
  });

  test("/tmp and /app/var are writable emptyDir volumes", () => {
    for (const path of ["/tmp", "/app/var"]) {
      const mount = container.volumeMounts?.find((m) => m.mountPath === path);
      expect(mount, path).toBeDefined();
      expect(mount?.readOnly ?? false).toBe(false);
      const volume = pod.volumes?.find((v) => v.name === mount?.name);
      expect(volume?.emptyDir, path).toBeDefined();
    }
  });

  test("a SQLite prediction log's cap fits in the /app/var emptyDir, with a tenth to spare", () => {
    const mount = container.volumeMounts?.find((m) => m.mountPath === "/app/var");
    const volume = pod.volumes?.find((v) => v.name === mount?.name);
    const sizeLimit = String(volume?.emptyDir?.sizeLimit ?? "");
    const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(sizeLimit);
    expect(match, sizeLimit).not.toBeNull();
    const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match?.[2] as "Ki" | "Mi" | "Gi"] ?? 1;
    const limitBytes = Number(match?.[1]) * unit;
    const cap = Number(configMap.data?.PREDICTION_LOG_MAX_BYTES);
    expect(cap).toBeGreaterThan(0);
    expect(cap).toBeLessThanOrEqual(limitBytes * 0.9);
  });

  test("the termination grace period outlasts the preStop pause plus the drain timeout", () => {
    const command = container.lifecycle?.preStop?.exec?.command ?? [];
    expect(command[0]).toBe("sleep");
    const pauseSeconds = Number(command[1]);
    const drainSeconds = Number(configMap.data?.SHUTDOWN_TIMEOUT_MS) / 1000;
    expect(pauseSeconds).toBeGreaterThan(0);
    expect(drainSeconds).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(pauseSeconds + drainSeconds);
  });

  test("CPU and memory are requested and memory is limited", () => {
    const { requests, limits } = container.resources ?? {};
    expect(requests?.cpu).toBeDefined();
    expect(requests?.memory).toBeDefined();
    expect(limits?.memory).toBeDefined();
  });

  test("the replica count is left to the HorizontalPodAutoscaler", () => {
    expect(deployment.spec.replicas).toBeUndefined();
  });
});

describe("Kubernetes manifests: secrets", () => {
  test("the key repository, Redis and PostgreSQL settings come from Secret references", () => {
    for (const name of ["ASAP_PUBLICKEY_REPOSITORY", "ASAP_REPLAY_STORE", "DATABASE_URL"]) {
      const variable = container.env?.find((entry) => entry.name === name);
      expect(variable?.value, name).toBeUndefined();
      expect(variable?.valueFrom?.secretKeyRef?.name, name).toMatch(/\S/);
      expect(variable?.valueFrom?.secretKeyRef?.key, name).toMatch(/\S/);
      expect(configMap.data?.[name], name).toBeUndefined();
    }
  });

  test("the TLS certificate and key are files of a mounted Secret volume", () => {
    const volume = pod.volumes?.find((v) => v.secret !== undefined && /tls/.test(v.name));
    const mount = container.volumeMounts?.find((m) => m.name === volume?.name);
    expect(volume?.secret?.secretName).toMatch(/\S/);
    expect(mount?.readOnly).toBe(true);
    expect(volume?.secret?.defaultMode).toBe(0o440);
    for (const file of [configMap.data?.TLS_CERT_FILE, configMap.data?.TLS_KEY_FILE]) {
      expect(file?.startsWith(`${mount?.mountPath}/`), file).toBe(true);
    }
  });

  test("no Secret values are committed: no Secret objects and no credentials in the ConfigMap", () => {
    expect(objects.filter((object) => object.kind === "Secret")).toEqual([]);
    const suspicious = Object.entries(configMap.data ?? {}).filter(
      ([name, value]) =>
        /PASSWORD|SECRET|TOKEN|PRIVATE/i.test(name) ||
        /:\/\/[^/\s]*@/.test(value) ||
        /-----BEGIN/.test(value),
    );
    expect(suspicious).toEqual([]);
  });
});

describe("Kubernetes manifests: Service, HorizontalPodAutoscaler, PodDisruptionBudget", () => {
  const podLabels: Record<string, string> = deployment.spec.template.metadata.labels;

  function selects(selector: Record<string, string>): boolean {
    return (
      Object.keys(selector).length > 0 &&
      Object.entries(selector).every(([key, value]) => podLabels[key] === value)
    );
  }

  test("the Deployment's selector matches its pod labels", () => {
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
  });

  test("the Service selects the pods and targets the container's HTTPS port", () => {
    const service = only("Service");
    expect(selects(service.spec.selector)).toBe(true);
    const [port] = service.spec.ports as [{ targetPort: string | number }];
    expect(containerPort(port.targetPort)).toBe(configuredPort());
  });

  test("the HorizontalPodAutoscaler scales this Deployment on CPU with at least two replicas", () => {
    const autoscaler = only("HorizontalPodAutoscaler");
    expect(autoscaler.spec.scaleTargetRef).toEqual({
      apiVersion: deployment.apiVersion,
      kind: "Deployment",
      name: deployment.metadata.name,
    });
    expect(autoscaler.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(autoscaler.spec.maxReplicas).toBeGreaterThan(autoscaler.spec.minReplicas);
    expect(autoscaler.spec.metrics[0].resource.name).toBe("cpu");
  });

  test("the PodDisruptionBudget covers the Deployment's pods", () => {
    const budget = only("PodDisruptionBudget");
    expect(selects(budget.spec.selector.matchLabels)).toBe(true);
    expect(budget.spec.minAvailable).toBeGreaterThanOrEqual(1);
  });
});
