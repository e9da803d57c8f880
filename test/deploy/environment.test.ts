import { describe, expect, test } from "vitest";
import { envAssignments, parseDockerfile } from "./support/dockerfile-instructions.js";
import { environmentNamesReadBySource, readRepoFile, repoPath } from "./support/repository.js";
import { readYamlDocuments } from "./support/yaml-documents.js";

interface EnvVar {
  name: string;
}

/** Environment variable names each deployment file sets for the service. */
function namesSetByDeploymentFiles(): Record<string, string[]> {
  const dockerfile = parseDockerfile(readRepoFile("Dockerfile"));
  const finalStage = dockerfile.stages.at(-1);
  const [compose] = readYamlDocuments(repoPath("docker-compose.yml")) as [
    { services: { api: { environment: Record<string, string> } } },
  ];
  const [configMap] = readYamlDocuments(repoPath("deploy/kubernetes/configmap.yaml")) as [
    { data: Record<string, string> },
  ];
  const [deployment] = readYamlDocuments(repoPath("deploy/kubernetes/deployment.yaml")) as [
    { spec: { template: { spec: { containers: { env?: EnvVar[] }[] } } } },
  ];
  return {
    Dockerfile: finalStage ? [...envAssignments(finalStage).keys()] : [],
    "docker-compose.yml": Object.keys(compose.services.api.environment),
    "deploy/kubernetes/configmap.yaml": Object.keys(configMap.data),
    "deploy/kubernetes/deployment.yaml": deployment.spec.template.spec.containers.flatMap(
      (container) => (container.env ?? []).map(({ name }) => name),
    ),
  };
}

describe("deployment environment", () => {
  test("every environment variable the deployment files set is one the service reads", () => {
    const known = environmentNamesReadBySource();
    const unknown = Object.entries(namesSetByDeploymentFiles()).flatMap(([file, names]) =>
      names.filter((name) => !known.has(name)).map((name) => `${file}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });
});
