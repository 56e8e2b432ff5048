/**
 * What loading a model reports: each file's download (or its cache hit), parsing the checkpoint,
 * uploading the weights to the GPU, in that order, then `ready`. `compile` events (one per kernel
 * compiled) interleave with them: kernels compiled ahead (LoadOptions.precompile) finish while the
 * checkpoint is read; with `warmup` the load ends with one carrying the total.
 */
export type LoadPhase = 'download' | 'cache' | 'parse' | 'upload' | 'compile' | 'ready';

export interface LoadProgress {
  phase: LoadPhase;
  /** What is being loaded: 'weights', 'vocab', 'config', or the model for parse/upload/compile. */
  what: string;
  /** Bytes so far (download, cache), or kernels compiled so far (compile); 0 and 1 around parse and upload. */
  loaded: number;
  /** Bytes in all when the server said (Content-Length), kernels in all when known; else undefined. */
  total?: number;
  /** The URL a download or cache hit is for. */
  url?: string;
}

export type OnLoadProgress = (p: LoadProgress) => void;
