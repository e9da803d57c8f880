// Model directories for the serving tests. The real trained model under models/ is preferred
// (or SERVING_TEST_MODEL_DIR); without one, a small untrained model is built with the model
// code in a temp dir, so the workers still run the real loading and inference path.
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, vi } from "vitest";
import { selectBackend } from "../../src/model/backend.js";
import { initWeights, mulberry32 } from "../../src/model/bag-of-embeddings.js";
import type { ModelMetadata } from "../../src/model/metadata.js";
import { DEFAULT_THRESHOLDS } from "../../src/model/metadata.js";
import { METADATA_FILE, writeModelDirectory } from "../../src/model/model-directory.js";
import { DEFAULT_PREPROCESS_SETTINGS, extractFeatures } from "../../src/model/preprocess.js";
import { buildNetwork, serializeNetwork } from "../../src/model/tfjs-network.js";
import { buildVocabulary } from "../../src/model/vocabulary.js";

const MODELS_DIR = resolve(import.meta.dirname, "../../models");

export const SAMPLE_TEXTS = [
  "I love this so much, best day ever!",
  "worst flight of my life, never again",
  "the train leaves at 9",
  "not bad at all :)",
  "ugh my phone died again :(",
  "meh",
  "Absolutely fantastic service, thank you @airline",
  "I hate waiting in line for hours",
  "🙂 sunny and warm",
  "lol what is this",
];

async function firstTrainedModel(): Promise<string | undefined> {
  const fromEnv = process.env.SERVING_TEST_MODEL_DIR;
  if (fromEnv) return resolve(fromEnv);
  const entries = await readdir(MODELS_DIR, { withFileTypes: true }).catch(() => []);
  for (const entry of entries
    .filter((e) => e.isDirectory())
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const dir = join(MODELS_DIR, entry.name);
    if (
      await stat(join(dir, METADATA_FILE)).then(
        () => true,
        () => false,
      )
    )
      return dir;
  }
  return undefined;
}

async function buildUntrainedModel(dir: string): Promise<void> {
  await selectBackend("cpu");
  const settings = DEFAULT_PREPROCESS_SETTINGS;
  const vocabulary = buildVocabulary(
    SAMPLE_TEXTS.map((text) => extractFeatures(text, settings)),
    { minTokenCount: 1, minBigramCount: 1, maxFeatures: 10_000 },
  );
  const weights = initWeights(vocabulary.size, 16, 0, mulberry32(7));
  const network = buildNetwork(weights, settings.sequenceLength);
  const saved = await serializeNetwork(network);
  network.dispose();
  const metadata: ModelMetadata = {
    name: "serving-test-model",
    version: "0.0.1",
    created: new Date(0).toISOString(),
    description: "untrained model for serving tests",
    architecture: "bag-of-embeddings",
    vocabularySize: vocabulary.size,
    data: [],
    preprocessing: settings,
    hyperParameters: { dim: 16 },
    thresholds: DEFAULT_THRESHOLDS,
    training: { epochsRun: 0, bestEpoch: 0, seconds: 0, trainRows: 0, validationRows: 0 },
    metrics: {},
  };
  await writeModelDirectory(dir, { metadata, vocabulary, network: saved });
}

/** A temp dir owned by the test; remove it with `cleanup`. */
export interface ModelWorkspace {
  /** The model to serve first. */
  modelDir: string;
  /** Copies the model into a new folder with another version, as a deployment would. */
  deployNewVersion(version: string): Promise<string>;
  /** A folder whose model cannot load (weights missing). */
  brokenModelDir(): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createModelWorkspace(): Promise<ModelWorkspace> {
  const root = await mkdtemp(join(tmpdir(), "serving-test-"));
  let modelDir = await firstTrainedModel();
  if (modelDir === undefined) {
    modelDir = join(root, "untrained");
    await buildUntrainedModel(modelDir);
  }
  const source = modelDir;
  return {
    modelDir,
    async deployNewVersion(version) {
      const target = join(root, `v${version}`);
      await cp(source, target, { recursive: true });
      const metadataPath = join(target, METADATA_FILE);
      const metadata = JSON.parse(await readFile(metadataPath, "utf8"));
      await writeFile(metadataPath, JSON.stringify({ ...metadata, version }));
      return target;
    },
    async brokenModelDir() {
      const target = join(root, "broken");
      await cp(source, target, { recursive: true });
      await rm(join(target, "weights.bin"));
      return target;
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * Gives the calling test file one workspace for all its tests (created before the first, removed
 * after the last) and the long timeouts worker threads need. Call at the top level of the file.
 */
export function useModelWorkspace(): () => ModelWorkspace {
  // Worker threads load TensorFlow.js and the model; on a loaded 2-core machine that takes seconds.
  vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
  let workspace: ModelWorkspace | undefined;
  beforeAll(async () => {
    workspace = await createModelWorkspace();
  });
  afterAll(async () => {
    await workspace?.cleanup();
  });
  return () => {
    if (workspace === undefined) throw new Error("the model workspace is created in beforeAll");
    return workspace;
  };
}
