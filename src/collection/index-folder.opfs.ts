/**
 * An index folder in the browser's origin-private file system (navigator.storage.getDirectory()),
 * in the page or a worker: the same files as on disk (docs/index-format.md), so an index copied
 * out of OPFS opens with `mobileclip search --db` or the Python reader.
 *
 * What is atomic here. `write` puts the bytes in a temporary file (`.NAME.0.XXXXXXXX.tmp`) through
 * createWritable() — whose own writes go to a swap file until close() — then renames it over NAME
 * with move() (Chromium ≥ 110 replaces an existing file). A reader therefore sees the old file or
 * the new one, never a part, and the store's order (rows, segment, then manifest) holds: a commit
 * cut off by a closed tab leaves the previous manifest and, at worst, an unlisted segment or a
 * temporary file, which the next writer removes. Where move() is missing, createWritable() on NAME
 * itself is used (the same swap-file replacement, without the temporary name). What is weaker than
 * on disk: OPFS has no fsync for these streams, so across a power loss or a browser crash the
 * order in which the files reach the disk is the browser's, not ours.
 *
 * The one-writer lock is a Web Lock (navigator.locks, per origin: every tab and worker), released
 * when the writer closes or its tab goes away; no index.lock file is written. Without Web Locks
 * only this page's own writers are kept apart.
 */
import { IndexBusyError, type IndexFileReader, type IndexFolder } from './index-folder.js';

/** What this file uses of the File System Access API (move() is not in every DOM typing). */
interface DirHandle {
  getDirectoryHandle(name: string, o?: { create?: boolean }): Promise<DirHandle>;
  getFileHandle(name: string, o?: { create?: boolean }): Promise<FileHandle>;
  removeEntry(name: string): Promise<void>;
  keys(): AsyncIterable<string>;
}
interface FileHandle {
  getFile(): Promise<File>;
  createWritable(): Promise<{ write(data: Uint8Array | string): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
  move?(dir: DirHandle, name: string): Promise<void>;
}
interface WebLocks {
  request(name: string, o: { ifAvailable: boolean }, cb: (lock: unknown) => Promise<void>): Promise<void>;
}

const isNotFound = (e: unknown) => (e as { name?: string })?.name === 'NotFoundError';
const TEMPORARY = /^\.(.+)\.\d+\.[0-9a-f]{8}\.tmp$|\.crswap$/;
const heldHere = new Set<string>();

export class OpfsIndexFolder implements IndexFolder {
  readonly name: string;
  private dir: DirHandle | null = null;

  /** `path`: the folder under the origin's OPFS root (`a/b` for a subfolder). */
  constructor(readonly path: string) {
    if (!path || path.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new RangeError(`an OPFS index folder: "${path}" is not a folder name (names separated by /)`);
    this.name = `opfs:${path}`;
  }

  static available(): boolean {
    return typeof (globalThis as { navigator?: { storage?: { getDirectory?: unknown } } }).navigator?.storage?.getDirectory === 'function';
  }

  where(file: string): string {
    return `${this.name}/${file}`;
  }

  /** The folder's handle; null when it does not exist and `create` is false. */
  private async handle(create: boolean): Promise<DirHandle | null> {
    if (this.dir) return this.dir;
    if (!OpfsIndexFolder.available()) throw new Error(`${this.name}: this browser has no origin-private file system (navigator.storage.getDirectory)`);
    let d = (await navigator.storage.getDirectory()) as unknown as DirHandle;
    try {
      for (const part of this.path.split('/')) d = await d.getDirectoryHandle(part, { create });
    } catch (e) {
      if (!create && isNotFound(e)) return null;
      throw e;
    }
    return (this.dir = d);
  }

  private async file(file: string): Promise<File> {
    const d = await this.handle(false);
    try {
      if (!d) throw Object.assign(new Error('no such folder'), { name: 'NotFoundError' });
      return await (await d.getFileHandle(file)).getFile();
    } catch (e) {
      throw new Error(`${this.where(file)}: ${isNotFound(e) ? 'no such file' : (e as Error).message}`);
    }
  }

  async create(): Promise<void> {
    await this.handle(true);
  }

  async exists(file: string): Promise<boolean> {
    const d = await this.handle(false);
    if (!d) return false;
    return d.getFileHandle(file).then(() => true, (e) => (isNotFound(e) ? false : Promise.reject(e)));
  }

  async read(file: string, maxBytes: number): Promise<Uint8Array> {
    const f = await this.file(file);
    if (f.size > maxBytes) throw new Error(`${this.where(file)}: ${f.size} bytes, more than it can be (${maxBytes} bytes)`);
    return new Uint8Array(await f.arrayBuffer());
  }

  /** Reads of a File snapshot (segments never change once written). */
  async open(file: string): Promise<IndexFileReader> {
    const f = await this.file(file);
    return {
      size: f.size,
      async read(into, position) {
        const b = new Uint8Array(await f.slice(position, position + into.length).arrayBuffer());
        into.set(b);
        return b.length;
      },
      close: async () => {},
    };
  }

  async write(file: string, data: Uint8Array | string): Promise<void> {
    const d = (await this.handle(true))!;
    const hex = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
    const tmpName = `.${file}.0.${hex}.tmp`;
    const put = async (h: FileHandle) => {
      const w = await h.createWritable();
      try {
        await w.write(data);
      } catch (e) {
        await w.abort().catch(() => {});
        throw e;
      }
      await w.close();
    };
    const canMove = typeof (globalThis as { FileSystemFileHandle?: { prototype: FileHandle } }).FileSystemFileHandle?.prototype.move === 'function';
    try {
      if (!canMove) return await put(await d.getFileHandle(file, { create: true }));
      const tmp = await d.getFileHandle(tmpName, { create: true });
      await put(tmp);
      await tmp.move!(d, file);
    } catch (e) {
      await d.removeEntry(tmpName).catch(() => {});
      throw new Error(`${this.where(file)}: could not be written (${(e as Error).message}); any previous file is unchanged`);
    }
  }

  async remove(file: string): Promise<void> {
    const d = await this.handle(false);
    await d?.removeEntry(file).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }

  async list(): Promise<string[]> {
    const d = await this.handle(false);
    const out: string[] = [];
    if (d) for await (const k of d.keys()) out.push(k);
    return out;
  }

  isTemporary(name: string): boolean {
    return TEMPORARY.test(name);
  }

  async lock(): Promise<() => Promise<void>> {
    const key = `mobileclip-index:${this.path}`;
    const busy = () => new IndexBusyError(`${this.name}: another writer (a tab or worker of this site) is updating this index; wait for it`);
    if (heldHere.has(key)) throw busy();
    const locks = (globalThis as { navigator?: { locks?: WebLocks } }).navigator?.locks;
    if (!locks) {
      heldHere.add(key);
      return async () => void heldHere.delete(key);
    }
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const got = await new Promise<boolean>((answer, fail) => {
      locks.request(key, { ifAvailable: true }, async (lock) => {
        answer(lock !== null);
        if (lock !== null) await held;
      }).catch(fail);
    });
    if (!got) throw busy();
    heldHere.add(key);
    return async () => {
      heldHere.delete(key);
      release();
    };
  }
}
