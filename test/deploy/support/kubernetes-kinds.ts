import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service } from "kubernetes-models/v1/Service";

/** A manifest object that does not match the Kubernetes API schema of its kind. */
export class ManifestSchemaError extends Error {
  readonly code = "manifest_schema_mismatch";
}

interface KindSchema {
  /** Runtime check generated from the Kubernetes OpenAPI schema (types, required fields, formats). */
  validate(object: object): void;
  /** Module and interface of the same schema as TypeScript types, for unknown-field checks. */
  typeModule: string;
  typeName: string;
}

function kind(
  Model: new (data: never) => { validate(): void },
  typeModule: string,
  typeName: string,
): KindSchema {
  return { validate: (object) => new Model(object as never).validate(), typeModule, typeName };
}

/** The Kubernetes kinds deploy/kubernetes may use, keyed by "apiVersion/kind". */
export const KUBERNETES_KINDS: Readonly<Record<string, KindSchema>> = {
  "v1/ConfigMap": kind(ConfigMap, "kubernetes-models/v1/ConfigMap", "IConfigMap"),
  "v1/Service": kind(Service, "kubernetes-models/v1/Service", "IService"),
  "apps/v1/Deployment": kind(Deployment, "kubernetes-models/apps/v1/Deployment", "IDeployment"),
  "autoscaling/v2/HorizontalPodAutoscaler": kind(
    HorizontalPodAutoscaler,
    "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
    "IHorizontalPodAutoscaler",
  ),
  "policy/v1/PodDisruptionBudget": kind(
    PodDisruptionBudget,
    "kubernetes-models/policy/v1/PodDisruptionBudget",
    "IPodDisruptionBudget",
  ),
};

/** "apiVersion/kind" of a manifest object, or null when either field is missing. */
export function kindKey(object: unknown): string | null {
  if (typeof object !== "object" || object === null) return null;
  const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
  return typeof apiVersion === "string" && typeof kind === "string"
    ? `${apiVersion}/${kind}`
    : null;
}

/** Validates one manifest object against the schema of its kind; throws ManifestSchemaError. */
export function validateManifest(object: unknown): void {
  const key = kindKey(object);
  const schema = key === null ? undefined : KUBERNETES_KINDS[key];
  if (schema === undefined) {
    throw new ManifestSchemaError(`no schema for ${key ?? "an object without apiVersion/kind"}`);
  }
  try {
    schema.validate(object as object);
  } catch (error) {
    throw new ManifestSchemaError(`${key}: ${(error as Error).message}`);
  }
}
