/**
 * Where an index's files live (docs/index-format.md): the few file operations IndexStore needs, so
 * the same store, format and commit order run on a disk folder (index-store.node.ts) and in the
 * browser's origin-private file system (index-folder.opfs.ts). Every name is a plain file name in
 * the one folder (manifest.json, seg-N.safetensors, seg-N.rows.json); there are no subfolders.
 */

/** A file opened for reads at positions (a segment read straight into the search matrix). */
export interface IndexFileReader {
  readonly size: number;
  /** Reads up to `into.length` bytes from `position`; the count read (0 at the end). */
  read(into: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface IndexFolder {
  /** The folder as messages name it: a path, or `opfs:<name>`. */
  readonly name: string;
  /** A file as messages name it (the Node folder: its path). */
  where(file: string): string;
  /** Creates the folder if missing (a writer opening a new index). */
  create(): Promise<void>;
  exists(file: string): Promise<boolean>;
  /** The whole file, refused when larger than `maxBytes` (an error naming it). */
  read(file: string, maxBytes: number): Promise<Uint8Array>;
  open(file: string): Promise<IndexFileReader>;
  /**
   * Replaces `file` with `data`. Each implementation says how atomic that is: a reader sees the old
   * bytes or the new ones, never a mixture, on both; across a crash see the implementation.
   */
  write(file: string, data: Uint8Array | string): Promise<void>;
  /** Removes `file`; no error when there is none. */
  remove(file: string): Promise<void>;
  list(): Promise<string[]>;
  /** True for a temporary file `write` leaves behind when killed (removed by the next writer). */
  isTemporary(name: string): boolean;
  /** Takes the one-writer lock (an IndexBusyError when another writer holds it); resolves to its release. */
  lock(): Promise<() => Promise<void>>;
}

export class IndexBusyError extends Error {
  override name = 'IndexBusyError';
}
