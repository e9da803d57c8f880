import { existsSync } from "node:fs";
import { posix } from "node:path";
import { describe, expect, test } from "vitest";
import { envAssignments, parseDockerfile } from "./support/dockerfile-instructions.js";
import { environmentNamesReadBySource, readRepoFile, repoPath } from "./support/repository.js";
import { readYamlDocuments } from "./support/yaml-documents.js";

interface EnvVar {
  name: string;
}

/** Environment variable names each deployment file sets for the service. */
function namesSetByDeploymentFiles(): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(valuesSetByDeploymentFiles()).map(([file, values]) => [
      file,
      [...values.keys()],
    ]),
  );
}

/** The variables (name -> value, when the file gives one) each deployment file sets. */
function valuesSetByDeploymentFiles(): Record<string, Map<string, string | undefined>> {
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
    Dockerfile: new Map(finalStage ? envAssignments(finalStage) : []),
    "docker-compose.yml": new Map(Object.entries(compose.services.api.environment)),
    "deploy/kubernetes/configmap.yaml": new Map(Object.entries(configMap.data)),
    "deploy/kubernetes/deployment.yaml": new Map(
      deployment.spec.template.spec.containers.flatMap((container) =>
        (container.env ?? []).map(({ name }) => [name, undefined] as const),
      ),
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

  test("every MODEL_DIR a deployment file sets is a model folder of the image (/app is the repository)", () => {
    const modelDirs = Object.entries(valuesSetByDeploymentFiles()).flatMap(([file, values]) => {
      const dir = values.get("MODEL_DIR");
      return dir === undefined ? [] : [{ file, dir }];
    });
    expect(modelDirs.map(({ file }) => file)).toContain("Dockerfile");
    for (const { file, dir } of modelDirs) {
      const inRepository = posix.relative("/app", dir);
      expect({ file, dir, folder: existsSync(repoPath(`${inRepository}/model.json`)) }).toEqual({
        file,
        dir,
        folder: true,
      });
    }
  });
});
