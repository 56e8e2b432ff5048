/**
 * Decoding and preprocessing on worker threads (Node), so a stream of files keeps the model busy:
 * while the model runs a batch, the workers decode the next ones. Each worker runs the main
 * thread's own functions (decode-worker.node.ts), so an input is the same byte for byte as
 * `model.preprocess(path)` gives; an error comes back with its name and message (a broken file is
 * skipped and reported as on the main thread). Idle workers are unref'd: they never keep a process
 * alive, but a file on its way does.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DecodeReply, DecodeRequest } from './decode-worker.node.js';
import type { Pipeline } from './transform.js';

/**
 * A worker running decode-worker: the bundle's sibling file when built; in a checkout (the CLI
 * under tsx, the tests under vitest) the TypeScript source, imported after tsx's ESM hooks are
 * registered in the worker (a loader given to the main thread does not reach a worker's imports).
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./decode-worker.js', here));
  const require = createRequire(here);
  const pkgPath = require.resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default;
  const apiUrl = pathToFileURL(join(dirname(pkgPath), api)).href;
  const source = new URL('./decode-worker.node.ts', here).href;
  return new Worker(`import(${JSON.stringify(apiUrl)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`, { eval: true });
}

/** Threads for decoding: the cores left over by one main thread, at most 4 (beyond that the model is the bound). */
export function defaultDecodeThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (x: { input: Float32Array; sha256?: string }) => void; reject: (e: Error) => void }>();
  private next = 0;
  private turn = 0;
  /** Why the pool no longer works (a worker died, or it was closed): later requests fail at once, never wait. */
  private broken: Error | null = null;

  constructor(
    private readonly pipeline: Pipeline,
    readonly threads = defaultDecodeThreads(),
  ) {
    for (let i = 0; i < threads; i++) {
      const w = startWorker();
      w.on('message', (r: DecodeReply) => this.settle(r));
      w.on('error', (e) => this.failAll(e));
      w.on('exit', (code) => this.failAll(new Error(`a decode worker exited (code ${code})`)));
      w.unref();
      this.workers.push(w);
    }
  }

  /** The model input of the image file at `path` (as model.preprocess(path) makes it). */
  async prepare(path: string): Promise<Float32Array> {
    return (await this.request(path, false)).input;
  }

  /** The model input and the sha256 of the file's bytes (read once). */
  prepareHashed(path: string): Promise<{ input: Float32Array; sha256?: string }> {
    return this.request(path, true);
  }

  private request(path: string, hash: boolean): Promise<{ input: Float32Array; sha256?: string }> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.next++;
    const w = this.workers[this.turn++ % this.workers.length];
    return new Promise((resolve, reject) => {
      // Referenced while a file is on its way: an awaited answer must keep the process alive.
      if (this.pending.size === 0) for (const x of this.workers) x.ref();
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, path, pipeline: this.pipeline, hash } satisfies DecodeRequest);
    });
  }

  async close(): Promise<void> {
    this.failAll(new Error('the decode pool was closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(r: DecodeReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) for (const x of this.workers) x.unref();
    if ('input' in r) p.resolve({ input: r.input, sha256: r.sha256 });
    else {
      const e = new Error(r.error.message);
      e.name = r.error.name;
      p.reject(e);
    }
  }

  /** A worker that died: every file waiting on it fails with an error the stream stops at (`fatal`), not a skip. */
  private failAll(e: Error): void {
    (e as Error & { fatal?: boolean }).fatal = true;
    this.broken ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
