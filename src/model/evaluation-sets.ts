import { join } from "node:path";

/**
 * The labelled sets every trained model is measured on (paths relative to the data directory).
 * None of them is used for training or for any training decision.
 */
export const EVALUATION_SETS: readonly { name: string; path: string }[] = [
  { name: "s140_manual_binary", path: "sentiment140/test_manual_binary.csv" },
  { name: "s140_manual_3class", path: "sentiment140/test_manual_3class.csv" },
  { name: "semeval2017_test_binary", path: "semeval2017_task4a/test2017_binary.csv" },
  { name: "semeval2017_test_3class", path: "semeval2017_task4a/test2017_3class.csv" },
  { name: "airline_binary", path: "airline_tweets/airline_binary.csv" },
  { name: "airline_3class", path: "airline_tweets/airline_3class.csv" },
  { name: "sanders_binary", path: "sanders/sanders_binary.csv" },
  { name: "sanders_3class", path: "sanders/sanders_3class.csv" },
  { name: "vader_tweets_binary", path: "vader_tweets/tweets_binary.csv" },
  { name: "sst2_test", path: "sst2/test.csv" },
];

export function evaluationSetPaths(dataDir: string): { name: string; path: string }[] {
  return EVALUATION_SETS.map((s) => ({ name: s.name, path: join(dataDir, s.path) }));
}
