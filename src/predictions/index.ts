export {
  assertPredictionStoreWritable,
  type CreatePredictionStoreOptions,
  createPredictionStore,
  openPredictionSink,
} from "./create-prediction-store.js";
export { writeBatchBytes } from "./log-limits.js";
export { PostgresPredictionStore } from "./postgres-prediction-store.js";
export {
  PredictionLog,
  type PredictionLogLogger,
  type PredictionLogOptions,
  type PredictionLogStats,
} from "./prediction-log.js";
export {
  type PredictionRecord,
  predictionRecordOf,
  type ScoredText,
} from "./prediction-record.js";
export {
  type ExportOptions,
  type PredictionSink,
  type PredictionStore,
  PredictionStoreError,
} from "./prediction-store.js";
export { DEFAULT_SQLITE_PATH, SqlitePredictionStore } from "./sqlite-prediction-store.js";
