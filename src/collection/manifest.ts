/**
 * An index of image embeddings as files any tool reads (see docs/index-format.md): a folder with
 * `manifest.json` and immutable segments `seg-NNNNNNNN.safetensors`, each holding `embeddings`
 * [rows, dim] float32 and, in its metadata, `rows`: one {path, size, mtimeMs, sha256} per row. The
 * manifest lists the committed segments and, per segment, the rows removed since (a file deleted or
 * changed); it is replaced by an atomic rename, so a reader sees one commit or the next, never half.
 */
import { CONFIG_OBJECT_NAME } from '../models/model-specs.js';

export const INDEX_FORMAT = 'mobileclip-index';
/** The manifest's file name in an index folder, and the most bytes it may have (segments and their removed rows). */
export const MANIFEST = 'manifest.json';
export const MANIFEST_BYTES = 256 * 1024 * 1024;
export const INDEX_VERSION = 1;

export class IndexFormatError extends Error {
  override name = 'IndexFormatError';
}

/** What the embeddings were made with: an index holds one model's embeddings only. */
export interface IndexModel {
  /** The model's name (its spec's). */
  name: string;
  /** The weights' fingerprint (MobileCLIP.weightsFingerprint): another checkpoint of the same model is another model. */
  weightsFingerprint: string;
  embedDim: number;
  imageSize: [number, number];
  /** The preprocessing pipeline, as JSON. */
  preprocessing: string;
  normalized: boolean;
  /** How the CLI loaded it (the model name or config path, the checkpoint), so `search` can load it again; not compared. */
  load?: { model: string; weights: string | null };
}

export interface SegmentEntry {
  file: string;
  rows: number;
  /** Row numbers no longer live (the file was deleted or changed), ascending. */
  removed: number[];
}

export interface Manifest {
  format: typeof INDEX_FORMAT;
  version: number;
  model: IndexModel;
  /** Bumped at each commit. */
  generation: number;
  /** The next segment's number (never reused, so a crashed commit's orphan cannot be mistaken for a live one). */
  nextSegment: number;
  segments: SegmentEntry[];
}

/** One row's file: the absolute path and what identifies its content. */
export interface RowInfo {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Checks a parsed manifest; `where` names the file in errors. */
export function checkManifest(v: unknown, where: string): Manifest {
  const bad = (what: string) => new IndexFormatError(`${where}: ${what}`);
  if (!isObject(v) || v.format !== INDEX_FORMAT) throw bad(`not a ${INDEX_FORMAT} manifest`);
  if (v.version !== INDEX_VERSION) throw bad(`format version ${JSON.stringify(v.version)}; this build reads version ${INDEX_VERSION}`);
  if (!isCount(v.generation) || !isCount(v.nextSegment) || !Array.isArray(v.segments)) throw bad('generation, nextSegment or segments missing or not whole numbers');
  const m = v.model;
  if (!isObject(m) || typeof m.name !== 'string' || typeof m.weightsFingerprint !== 'string' || !isCount(m.embedDim) || m.embedDim === 0 || !Array.isArray(m.imageSize) || typeof m.preprocessing !== 'string' || typeof m.normalized !== 'boolean') throw bad('model: not a model description');
  const seen = new Set<string>();
  for (const s of v.segments as unknown[]) {
    if (!isObject(s) || typeof s.file !== 'string' || !/^seg-\d{8}\.safetensors$/.test(s.file) || !isCount(s.rows) || !Array.isArray(s.removed)) throw bad(`segments: an entry is not {file: "seg-NNNNNNNN.safetensors", rows, removed}`);
    if (seen.has(s.file)) throw bad(`segments: ${s.file} listed twice`);
    seen.add(s.file);
    const rows = s.rows;
    if (!(s.removed as unknown[]).every((r, i, all) => isCount(r) && r < rows && (i === 0 || (all[i - 1] as number) < r))) throw bad(`segments: ${s.file}: removed rows must be ascending row numbers below ${rows}`);
  }
  return v as unknown as Manifest;
}

/** How many segments and rows a manifest lists, and how many of the rows are live (not removed since). */
export function countRows(m: Manifest): { segments: number; rows: number; live: number } {
  const rows = m.segments.reduce((n, s) => n + s.rows, 0);
  const removed = m.segments.reduce((n, s) => n + s.removed.length, 0);
  return { segments: m.segments.length, rows, live: rows - removed };
}

/** The rows of a segment's metadata, checked against its row count. */
export function checkRows(v: unknown, rows: number, where: string): RowInfo[] {
  if (!Array.isArray(v) || v.length !== rows) throw new IndexFormatError(`${where}: metadata "rows" must list ${rows} files`);
  for (const r of v) {
    if (!isObject(r) || typeof r.path !== 'string' || !isCount(r.size) || typeof r.mtimeMs !== 'number' || typeof r.sha256 !== 'string') throw new IndexFormatError(`${where}: a row is not {path, size, mtimeMs, sha256}`);
  }
  return v as RowInfo[];
}

/** Where two model descriptions differ (empty when the same model and preprocessing). */
export function modelDifferences(a: IndexModel, b: IndexModel): string[] {
  const out: string[] = [];
  for (const k of ['name', 'weightsFingerprint', 'embedDim', 'preprocessing', 'normalized'] as const) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push(`${k} ${JSON.stringify(a[k])} ≠ ${JSON.stringify(b[k])}`);
  if (a.imageSize.join('x') !== b.imageSize.join('x')) out.push(`imageSize ${a.imageSize.join('x')} ≠ ${b.imageSize.join('x')}`);
  return out;
}

/**
 * A loaded model's identity as an index records it (the `load` part is the caller's). A model made
 * from a config is named by its architecture, not by the file's path (spec.name): the same config
 * moved, copied, or passed as a parsed object in the browser is the same model.
 */
export function modelIdentity(m: { spec: { name: string }; weightsFingerprint: string; embedDim: number; imageSize: readonly number[]; pipeline: unknown }): IndexModel {
  const { name, ...architecture } = m.spec;
  // A config's path (Node, the CLI) or a parsed config object (what the browser entry takes): the
  // same architecture is the same model on both, so an index moves between them.
  const fromConfig = name.endsWith('.json') || name === CONFIG_OBJECT_NAME;
  const id = fromConfig ? `config ${fnv64(JSON.stringify(architecture))}` : name;
  return { name: id, weightsFingerprint: m.weightsFingerprint, embedDim: m.embedDim, imageSize: [m.imageSize[0], m.imageSize[1]], preprocessing: JSON.stringify(m.pipeline), normalized: true };
}

/** Two FNV-1a lanes over UTF-16 code units, as 16 hex digits (tells configs apart; not cryptographic). */
function fnv64(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < s.length; i++) {
    a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ s.charCodeAt(i), 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
