// Reading what a scrape returns: promtool (Debian's prometheus package) for validity, and the
// samples of one metric for assertions.
import { spawnSync } from "node:child_process";
import type { Registry } from "prom-client";

/** Runs `promtool check metrics` on the text; throws when promtool is not installed. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const run = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  if (run.error) {
    throw new Error(
      `promtool is needed to check the exposition format (apt-get install prometheus): ${run.error.message}`,
    );
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

export interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

/** The samples of metric `name` as the registry would export them now (collect callbacks run). */
export async function samplesOf(registry: Registry, name: string): Promise<Sample[]> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  if (metric === undefined) throw new Error(`no metric named ${name}`);
  return (metric as unknown as { values: Sample[] }).values;
}

/** The value of the sample of `name` whose labels include `labels` (0 when there is none). */
export async function sampleValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
  metricName = name,
): Promise<number> {
  const samples = await samplesOf(registry, name);
  const match = samples.find(
    (sample) =>
      (sample.metricName ?? name) === metricName &&
      Object.entries(labels).every(([key, value]) => String(sample.labels[key]) === value),
  );
  return match?.value ?? 0;
}

/** Every value label `label` takes in metric `name`. */
export async function labelValues(
  registry: Registry,
  name: string,
  label: string,
): Promise<Set<string>> {
  const samples = await samplesOf(registry, name);
  return new Set(
    samples
      .map((sample) => sample.labels[label])
      .filter((v) => v !== undefined)
      .map(String),
  );
}
