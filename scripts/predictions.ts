/**
 * Reads the prediction log.
 *
 *   npm run predictions -- export [--since <ISO time>] [--until <ISO time>] [--format csv|jsonl]
 *                                 [--out <file>] [--database <url>]
 *
 * The store is DATABASE_URL (postgres://... or sqlite:<path>) or, without it, var/predictions.sqlite.
 * CSV rows are `label,text,score,model,...` with lower-case labels, ready for
 * `npm run train -- --data <file>` and `npm run evaluate -- --data <file>`; records logged as a
 * hash only (PREDICTION_LOG_TEXT=false) are skipped and counted on stderr.
 */

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { parseArgs } from "node:util";
import { createPredictionStore } from "../src/predictions/create-prediction-store.js";
import { type ExportFormat, writePredictionExport } from "../src/predictions/prediction-export.js";
import { exitQuietlyWhenStdoutCloses } from "./cli/closed-stdout.js";

const USAGE =
  "usage: npm run predictions -- export [--since <ISO time>] [--until <ISO time>] [--format csv|jsonl] [--out <file>] [--database <url>] [--help]";

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) fail(`--${name} is not an ISO time: ${JSON.stringify(value)}`);
  return time;
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length !== 1 || positionals[0] !== "export") fail("unknown or missing command");
  const format = values.format;
  if (format !== "csv" && format !== "jsonl") fail(`--format must be csv or jsonl, not ${format}`);
  const since = parseTime(values.since, "since");
  const until = parseTime(values.until, "until");

  const store = createPredictionStore(values.database ?? process.env.DATABASE_URL);
  const out = values.out === undefined ? process.stdout : createWriteStream(values.out);
  try {
    await store.migrate();
    const summary = await writePredictionExport(
      store.exportRows({ ...(since ? { since } : {}), ...(until ? { until } : {}) }),
      format as ExportFormat,
      async (chunk) => {
        if (!out.write(chunk)) await once(out, "drain");
      },
    );
    if (out !== process.stdout) {
      out.end();
      await finished(out);
    }
    process.stderr.write(
      `exported ${summary.rows} prediction(s) as ${format}` +
        (summary.skippedWithoutText > 0
          ? `; skipped ${summary.skippedWithoutText} logged without text (hash only)`
          : "") +
        "\n",
    );
  } finally {
    await store.close();
  }
}

function parse() {
  return parseArgs({
    options: {
      since: { type: "string" },
      until: { type: "string" },
      format: { type: "string", default: "csv" },
      out: { type: "string" },
      database: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
}

exitQuietlyWhenStdoutCloses();
main().catch((error: unknown) => {
  process.stderr.write(`predictions: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
