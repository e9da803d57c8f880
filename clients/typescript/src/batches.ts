/** One batch request's share of the texts: where it starts, how many, and its JSON body. */
export interface TextBatch {
  readonly start: number;
  readonly count: number;
  readonly body: string;
}

const BODY_PREFIX = '{"texts":[';
const BODY_SUFFIX = "]}";
const BODY_FRAME_BYTES = BODY_PREFIX.length + BODY_SUFFIX.length;

/**
 * Splits `texts` into consecutive batch bodies of at most `maxTexts` texts and `maxBytes` bytes
 * of JSON (the service's MAX_BATCH_TEXTS and BODY_LIMIT_BYTES). A text too large for a batch of
 * its own is still sent alone, so the service answers for it.
 */
export function splitIntoBatches(
  texts: readonly string[],
  maxTexts: number,
  maxBytes: number,
): TextBatch[] {
  const batches: TextBatch[] = [];
  let start = 0;
  let parts: string[] = [];
  let bytes = BODY_FRAME_BYTES;
  const flush = () => {
    batches.push({
      start,
      count: parts.length,
      body: `${BODY_PREFIX}${parts.join(",")}${BODY_SUFFIX}`,
    });
    start += parts.length;
    parts = [];
    bytes = BODY_FRAME_BYTES;
  };
  for (const text of texts) {
    const json = JSON.stringify(text);
    const size = Buffer.byteLength(json);
    // Each text after the first also costs its comma.
    if (parts.length > 0 && (parts.length === maxTexts || bytes + 1 + size > maxBytes)) flush();
    bytes += (parts.length > 0 ? 1 : 0) + size;
    parts.push(json);
  }
  if (parts.length > 0) flush();
  return batches;
}

/**
 * Runs `task` on every item, at most `limit` at a time. The first failure aborts the signal the
 * other tasks got, waits for them to settle and is thrown; later failures are dropped.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, signal: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) forwardAbort();
  signal?.addEventListener("abort", forwardAbort, { once: true });
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item, controller.signal);
      } catch (error) {
        if (failure === undefined) {
          failure = { error };
          controller.abort();
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  } finally {
    signal?.removeEventListener("abort", forwardAbort);
  }
  if (failure !== undefined) throw failure.error;
}
