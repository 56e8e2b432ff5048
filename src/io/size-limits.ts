/**
 * The largest file of each kind this library reads, from disk (regular-file.ts) or the network
 * (download.ts; decoded bytes, after any gzip Content-Encoding): checkpoints up to the largest byte
 * array (a download is bounded tighter, by the model's size), the rest a few times the real ones.
 */
const MiB = 1 << 20;

export const SIZE_LIMITS = {
  checkpoint: 2 ** 32 - 1,
  image: 1024 * MiB,
  config: 8 * MiB,
  /** The gzipped file and what it inflates to (the CLIP one: 1.3 MB and 1.4 MB). */
  vocabulary: 16 * MiB,
  tokens: 256 * MiB,
  labels: 64 * MiB,
  any: 2 ** 32 - 1,
} as const;

export type SizedKind = keyof typeof SIZE_LIMITS;
