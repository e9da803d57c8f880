/** The compute limit: the model's throughput in this process, one thread, no HTTP. */
import { loadSentimentModel } from "../../src/model/inference.js";

export interface ModelThroughput {
  readonly batchSize: number;
  readonly iterations: number;
  readonly textsPerSecond: number;
  /** Median time of one predict() call. */
  readonly p50Ms: number;
}

export interface ModelThroughputReport {
  readonly backend: string;
  readonly model: string;
  readonly results: readonly ModelThroughput[];
}

/** Times predict() on `texts` in batches of each size for about `seconds` each (after a warm-up). */
export async function measureModelThroughput(
  modelDir: string,
  batchSizes: readonly number[],
  seconds: number,
  texts: readonly string[],
): Promise<ModelThroughputReport> {
  const model = await loadSentimentModel(modelDir, { backend: "wasm" });
  try {
    const results: ModelThroughput[] = [];
    for (const batchSize of batchSizes) {
      const batch = (offset: number) =>
        Array.from({ length: batchSize }, (_, i) => texts[(offset + i) % texts.length] as string);
      for (let i = 0; i < 3; i++) await model.predict(batch(i));
      const times: number[] = [];
      const started = performance.now();
      while (times.length < 5 || performance.now() - started < seconds * 1000) {
        const t0 = performance.now();
        await model.predict(batch(times.length * batchSize));
        times.push(performance.now() - t0);
      }
      const elapsed = (performance.now() - started) / 1000;
      times.sort((a, b) => a - b);
      results.push({
        batchSize,
        iterations: times.length,
        textsPerSecond: (batchSize * times.length) / elapsed,
        p50Ms: times[Math.floor(times.length / 2)] as number,
      });
    }
    return {
      backend: model.backend,
      model: `${model.metadata.name} ${model.metadata.version}`,
      results,
    };
  } finally {
    model.dispose();
  }
}
