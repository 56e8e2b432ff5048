/**
 * What loading a model reports, in order: each file's download (or its cache hit), parsing the
 * checkpoint, uploading the weights to the GPU, and compiling the kernels (when asked to warm up).
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
