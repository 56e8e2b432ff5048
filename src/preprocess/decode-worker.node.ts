/**
 * A decode pool's worker (decode-pool.node.ts): reads an image file, decodes it and preprocesses
 * it to the model input with the same functions the main thread uses (so the input is the same,
 * byte for byte), and posts the input back, its buffer transferred.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { readBytes } from '../io/read-file.js';
import { readNodeImage } from './image-input.node.js';
import { type Pipeline, preprocessImage } from './transform.js';

export interface DecodeRequest {
  id: number;
  path: string;
  pipeline: Pipeline;
  /** Also the sha256 of the file's bytes (an index records it). */
  hash?: boolean;
}

export type DecodeReply = { id: number; input: Float32Array; sha256?: string } | { id: number; error: { name: string; message: string } };

parentPort?.on('message', async (q: DecodeRequest) => {
  let reply: DecodeReply;
  try {
    let sha256: string | undefined;
    let image;
    if (q.hash) {
      // Read once: hashed and decoded from the same bytes (readNodeImage(path) reads them the same way).
      const bytes = await readBytes(q.path, 'image');
      sha256 = createHash('sha256').update(bytes).digest('hex');
      image = await readNodeImage(bytes, q.path);
    } else image = await readNodeImage(q.path, q.path);
    const input = preprocessImage(image, q.pipeline).tensor;
    reply = { id: q.id, input, ...(sha256 ? { sha256 } : {}) };
    parentPort!.postMessage(reply, [input.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { id: q.id, error: { name: err.name, message: err.message } };
    parentPort!.postMessage(reply);
  }
});
