/**
 * The index on disk: a folder (index-folder.ts) whose writes go through a temporary file, flushed
 * and renamed into place (a crash leaves the old file or the new one), whose reads refuse what is
 * not a regular file (a FIFO or a device is never waited on), and whose write lock is `index.lock`
 * naming the writer's pid (a lock left by a killed writer is taken over). `IndexStore.open(dir, …)`
 * opens index-store.ts's store on such a folder.
 */
import { readdir, rm, open as openFile, writeFile } from 'node:fs/promises';
import { constants, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRegularFile } from '../io/read-file.js';
import { isTemporaryName, writeFileAtomic } from '../io/write-output.js';
import { IndexBusyError, type IndexFileReader, type IndexFolder } from './index-folder.js';
import { IndexStore as FolderIndexStore, type OpenIndexOptions } from './index-store.js';

export { IndexBusyError } from './index-folder.js';
export { IndexModelError, type LiveRow, type LiveView, type OpenIndexOptions, rowsName } from './index-store.js';

const LOCK = 'index.lock';

export class NodeIndexFolder implements IndexFolder {
  constructor(readonly name: string) {}

  where(file: string): string {
    return join(this.name, file);
  }

  async create(): Promise<void> {
    mkdirSync(this.name, { recursive: true });
  }

  async exists(file: string): Promise<boolean> {
    return existsSync(this.where(file));
  }

  read(file: string, maxBytes: number): Promise<Uint8Array> {
    return readRegularFile(this.where(file), 'any', maxBytes);
  }

  async open(file: string): Promise<IndexFileReader> {
    const fh = await openFile(this.where(file), constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new Error('not a regular file');
      return { size: st.size, read: async (into, position) => (await fh.read(into, 0, into.length, position)).bytesRead, close: () => fh.close() };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Through a temporary file in the folder, flushed, then renamed over `file`: atomic across a crash. */
  write(file: string, data: Uint8Array | string): Promise<void> {
    return writeFileAtomic(this.where(file), data);
  }

  async remove(file: string): Promise<void> {
    await rm(this.where(file), { force: true });
  }

  list(): Promise<string[]> {
    return readdir(this.name);
  }

  isTemporary(name: string): boolean {
    return isTemporaryName(name);
  }

  /** A file naming the writer's pid, created exclusively; one whose process is gone is taken over. */
  async lock(): Promise<() => Promise<void>> {
    const path = this.where(LOCK);
    const release = () => rm(path, { force: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const f = await openFile(path, 'wx');
        await f.writeFile(String(process.pid));
        await f.close();
        return release;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const pid = Number(new TextDecoder().decode(await readRegularFile(path, 'any', 64).catch(() => new Uint8Array())).trim());
      if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) throw new IndexBusyError(`${this.name}: ${pid === process.pid ? 'this process is already writing this index' : `another mobileclip index (pid ${pid}) is writing this index; wait for it, or stop it`}`);
      await rm(path, { force: true }); // left by a writer that was killed
    }
    await writeFile(path, String(process.pid), { flag: 'wx' });
    return release;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The store type (index-store.ts) and, as a value, its opener on a disk folder: `IndexStore.open(dir, o)`. */
export type IndexStore = FolderIndexStore;
export const IndexStore = {
  open: (dir: string, o?: OpenIndexOptions): Promise<FolderIndexStore> => FolderIndexStore.open(new NodeIndexFolder(dir), o),
};
