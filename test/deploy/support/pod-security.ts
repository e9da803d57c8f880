import type { IPodSpec } from "kubernetes-models/v1/PodSpec";

/**
 * Violations of the Kubernetes Pod Security Standard "restricted" profile (plus a read-only root
 * filesystem, which this project requires on top), one message per problem.
 */
export function restrictedPodViolations(pod: IPodSpec): string[] {
  const problems: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push("pod shares a host namespace");
  for (const volume of pod.volumes ?? []) {
    if (volume.hostPath) problems.push(`volume ${volume.name} is a hostPath`);
  }
  const podContext = pod.securityContext ?? {};
  if (podContext.runAsUser === 0) problems.push("pod runs as UID 0");
  const containers = [...(pod.initContainers ?? []), ...pod.containers];
  for (const container of containers) {
    const where = `container ${container.name}`;
    const context = container.securityContext ?? {};
    const runAsNonRoot = context.runAsNonRoot ?? podContext.runAsNonRoot;
    const seccomp = context.seccompProfile?.type ?? podContext.seccompProfile?.type;
    if (runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
    if ((context.runAsUser ?? podContext.runAsUser) === 0) problems.push(`${where}: runs as UID 0`);
    if (context.privileged === true) problems.push(`${where}: privileged`);
    if (context.allowPrivilegeEscalation !== false) {
      problems.push(`${where}: allowPrivilegeEscalation is not false`);
    }
    if (!(context.capabilities?.drop ?? []).includes("ALL")) {
      problems.push(`${where}: capabilities do not drop ALL`);
    }
    const added = (context.capabilities?.add ?? []).filter((c) => c !== "NET_BIND_SERVICE");
    if (added.length > 0) problems.push(`${where}: adds capabilities ${added.join(", ")}`);
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      problems.push(`${where}: seccompProfile is not RuntimeDefault or Localhost`);
    }
    if (context.readOnlyRootFilesystem !== true) {
      problems.push(`${where}: readOnlyRootFilesystem is not true`);
    }
    for (const port of container.ports ?? []) {
      if (port.hostPort !== undefined) problems.push(`${where}: hostPort ${port.hostPort}`);
    }
  }
  return problems;
}
