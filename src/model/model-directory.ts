import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModelMetadata } from "./metadata.js";
import { ModelMetadataSchema } from "./metadata.js";
import type { SavedNetwork } from "./tfjs-network.js";
import { WEIGHTS_FILE } from "./tfjs-network.js";
import { Vocabulary } from "./vocabulary.js";

export const MODEL_FILE = "model.json";
export const VOCABULARY_FILE = "vocab.json";
export const METADATA_FILE = "metadata.json";

export class ModelLoadError extends Error {
  constructor(
    readonly code: "model_files_missing" | "model_files_invalid",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ModelLoadError";
  }
}

/** The parsed files of a model directory. */
export interface ModelFiles {
  metadata: ModelMetadata;
  vocabulary: Vocabulary;
  network: SavedNetwork;
}

async function readOrFail(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new ModelLoadError("model_files_missing", `cannot read ${path}`, { cause });
  }
}

function parseJson(path: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (cause) {
    throw new ModelLoadError("model_files_invalid", `${path} is not valid JSON`, { cause });
  }
}

/** Reads and validates model.json, weights.bin, vocab.json and metadata.json of `dir`. */
export async function readModelDirectory(dir: string): Promise<ModelFiles> {
  const paths = [MODEL_FILE, WEIGHTS_FILE, VOCABULARY_FILE, METADATA_FILE].map((f) => join(dir, f));
  const [modelBytes, weightsBin, vocabBytes, metadataBytes] = await Promise.all(
    paths.map(readOrFail),
  );
  const parsedMetadata = ModelMetadataSchema.safeParse(
    parseJson(paths[3] as string, metadataBytes as Buffer),
  );
  if (!parsedMetadata.success) {
    throw new ModelLoadError(
      "model_files_invalid",
      `invalid metadata.json: ${parsedMetadata.error.message}`,
    );
  }
  let vocabulary: Vocabulary;
  try {
    vocabulary = Vocabulary.fromFile(parseJson(paths[2] as string, vocabBytes as Buffer));
  } catch (cause) {
    if (cause instanceof ModelLoadError) throw cause;
    throw new ModelLoadError("model_files_invalid", "invalid vocab.json", { cause });
  }
  const modelJson = parseJson(paths[0] as string, modelBytes as Buffer);
  if (typeof modelJson !== "object" || modelJson === null) {
    throw new ModelLoadError("model_files_invalid", "model.json is not an object");
  }
  return {
    metadata: parsedMetadata.data,
    vocabulary,
    network: {
      modelJson: modelJson as Record<string, unknown>,
      weightsBin: new Uint8Array(weightsBin as Buffer),
    },
  };
}

/** Writes the four files of a model directory (creating it). */
export async function writeModelDirectory(dir: string, files: ModelFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MODEL_FILE), `${JSON.stringify(files.network.modelJson)}\n`);
  await writeFile(join(dir, WEIGHTS_FILE), files.network.weightsBin);
  await writeFile(join(dir, VOCABULARY_FILE), `${JSON.stringify(files.vocabulary.toFile())}\n`);
  await writeFile(join(dir, METADATA_FILE), `${JSON.stringify(files.metadata, null, 2)}\n`);
}
