/**
 * `npm run bench -- --compare-model <dir>`: the configured model against another model folder,
 * served by two otherwise identical services, the single-text c64 and batch rows measured in
 * interleaved rounds (A B A B) so both see the same machine. Issue 12 asks that a new model does
 * not make those rows fall by more than run-to-run noise; this shows the ratio next to the noise.
 */
import type { MeasuredRun } from "./report.js";

/** One model's runs in one round. */
export interface ModelRound {
  readonly single: MeasuredRun;
  readonly batch: MeasuredRun;
}

export interface ServedModelName {
  /** The folder, as given. */
  readonly dir: string;
  /** name@version from /v1/models. */
  readonly model: string;
}

export interface ModelComparison {
  /** A: the configured model (MODEL_DIR / config), B: --compare-model. */
  readonly current: ServedModelName;
  readonly other: ServedModelName;
  /** Per round, A's runs then B's, in that order. */
  readonly rounds: readonly { readonly current: ModelRound; readonly other: ModelRound }[];
}

type Row = keyof ModelRound;

const ROW_LABELS: Record<Row, string> = {
  single: "single text, c64",
  batch: "batch of 64 texts",
};

const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : "n/a";

function texts(run: MeasuredRun): number {
  return run.load.textsPerSecond;
}

/** A / B over all rounds (summed texts/s), each round's A / B, and A's own spread between rounds. */
export function modelRatio(
  comparison: ModelComparison,
  row: Row,
): { ratio: number; perRound: number[]; currentSpread: number } {
  const a = comparison.rounds.map((round) => texts(round.current[row]));
  const b = comparison.rounds.map((round) => texts(round.other[row]));
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return {
    ratio: sum(a) / sum(b),
    perRound: a.map((value, i) => value / (b[i] as number)),
    // Slowest round / fastest round of the same server: how much one row moves on its own.
    currentSpread: a.length > 1 ? Math.min(...a) / Math.max(...a) : Number.NaN,
  };
}

/** The markdown section for the comparison. */
export function renderModelComparison(comparison: ModelComparison): string {
  const lines = [
    "## Model comparison (interleaved)",
    "",
    `A = ${comparison.current.model} (\`${comparison.current.dir}\`), B = ${comparison.other.model} (\`${comparison.other.dir}\`): two services with the same settings, started together; each round runs A then B for each row.`,
    "",
    "| round | row | model | req/s | texts/s | p99 ms | errors + non-2xx | server CPU ms/req |",
    "|---:|---|---|---:|---:|---:|---:|---:|",
  ];
  comparison.rounds.forEach((round, index) => {
    for (const row of ["single", "batch"] as const) {
      for (const [name, runs] of [
        ["A", round.current],
        ["B", round.other],
      ] as const) {
        const run = runs[row];
        lines.push(
          `| ${index + 1} | ${ROW_LABELS[row]} | ${name} | ${fixed(run.load.requestsPerSecond, 0)} | ${fixed(texts(run), 0)} | ${fixed(run.load.p99Ms, 1)} | ${run.load.errors + run.load.non2xx} | ${fixed(run.serverCpuMsPerRequest, 3)} |`,
        );
      }
    }
  });
  lines.push("");
  for (const row of ["single", "batch"] as const) {
    const { ratio, perRound, currentSpread } = modelRatio(comparison, row);
    lines.push(
      `- ${ROW_LABELS[row]}: A / B = **${fixed(ratio, 2)}x** over the rounds (by round ${perRound.map((r) => fixed(r, 2)).join(", ")}); A's slowest / fastest round ${fixed(currentSpread, 2)} (run-to-run noise).`,
    );
  }
  return `${lines.join("\n")}\n`;
}
