/**
 * A stream of image files through the model at bounded memory: each input is prepared (read,
 * decoded, preprocessed to the model input) at most `ahead` inputs before the model needs it, a
 * full-size decoded photo is dropped as soon as its model input exists, and each batch's
 * embeddings are handed on as soon as its forward ends. An input that cannot be prepared (a
 * truncated JPEG, an unreadable file) is reported as skipped, with its error, and the stream goes on.
 * Embeddings equal `encodeImages`' for the same inputs: the same preprocess and the same forward.
 */

/** What the stream needs of a model (MobileCLIP is one): its input size and a forward on prepared inputs. */
export interface ImageEncoder {
  readonly imageSize: readonly [number, number] | readonly number[];
  encodeImageInputs(inputs: Float32Array, count: number, options?: { normalize?: boolean }): Promise<{ data: Float32Array; count: number; dim: number }>;
}

export interface ImageStreamOptions {
  /** Images per forward (default 8). */
  batchSize?: number;
  /** Inputs prepared ahead of the model (default: one batch). Bounds memory: ≈ ahead model inputs. */
  ahead?: number;
  normalize?: boolean;
  signal?: AbortSignal;
}

export type ImageStreamEvent<T> =
  /** One forward's inputs and their embeddings (row i is items[i]). */
  | { kind: 'embedded'; items: T[]; embeddings: { data: Float32Array; count: number; dim: number } }
  /** An input left out, and why. */
  | { kind: 'skipped'; item: T; error: Error };

type Prepared<T> = { item: T; input: Float32Array } | { item: T; error: Error; fatal: boolean };

export async function* streamImageEmbeddings<T>(model: ImageEncoder, items: Iterable<T> | AsyncIterable<T>, prepare: (item: T) => Promise<Float32Array>, o: ImageStreamOptions = {}): AsyncGenerator<ImageStreamEvent<T>> {
  const batchSize = o.batchSize ?? 8;
  const ahead = Math.max(1, o.ahead ?? batchSize);
  const [h, w] = model.imageSize;
  const size = 3 * h * w;
  // Each preparation settles into a value (never a rejection left unobserved while it waits its turn).
  const start = (item: T): Promise<Prepared<T>> =>
    Promise.resolve(item).then(prepare).then(
      (input) => ({ item, input }),
      (e: unknown) => {
        // An error marked `fatal` (the model disposed, the decode pool broken) is not a file to skip:
        // the stream stops there (settled here all the same: no rejection waits unobserved).
        const fatal = (e as { fatal?: unknown })?.fatal === true;
        return { item, error: e instanceof Error ? e : new Error(String(e)), fatal };
      },
    );
  const iterator = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]()) as AsyncIterator<T> | Iterator<T>;
  const queue: Promise<Prepared<T>>[] = [];
  let exhausted = false;
  const fill = async () => {
    while (!exhausted && queue.length < ahead) {
      const next = await iterator.next();
      if (next.done) exhausted = true;
      else queue.push(start(next.value));
    }
  };
  let batch: T[] = [];
  // One buffer for every batch: the forward has copied it by the time it returns.
  const inputs = new Float32Array(batchSize * size);
  const flush = async (): Promise<ImageStreamEvent<T>> => {
    const embeddings = await model.encodeImageInputs(inputs.subarray(0, batch.length * size), batch.length, { normalize: o.normalize });
    const event: ImageStreamEvent<T> = { kind: 'embedded', items: batch, embeddings };
    batch = [];
    return event;
  };
  await fill();
  while (queue.length > 0) {
    o.signal?.throwIfAborted();
    const p = await queue.shift()!;
    await fill();
    if ('error' in p) {
      if (p.fatal) throw p.error;
      yield { kind: 'skipped', item: p.item, error: p.error };
      continue;
    }
    // A model input of another size (a preparer with another pipeline) would land in the wrong place.
    if (p.input.length !== size) throw new RangeError(`${String(p.item)}: a model input of ${p.input.length} values; the model takes 3 × ${h} × ${w}`);
    inputs.set(p.input, batch.length * size);
    batch.push(p.item);
    if (batch.length === batchSize) yield await flush();
  }
  if (batch.length > 0) yield await flush();
}
