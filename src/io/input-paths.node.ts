/**
 * How a command's image arguments become a list of files (Node): `photos/` (walked), `'shots/**\/*.png'`
 * (a pattern the shell did not expand: quoted, too many matches for the command line, or Windows),
 * `@list.txt` and `-` (a path a line, as `find … | mobileclip embed -` gives). The result is
 * deterministic — specs in their order, each directory's entries sorted — so two runs over the same
 * tree give the same files in the same order, each file once. What is left out that the user may
 * have meant is returned in `skipped` with the reason, for the command to report; only a misuse
 * (two `-`, a list that cannot be read) throws.
 */
import { createReadStream, type Dirent, type Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
// picomatch: small, dependency-free and well kept (what micromatch, fast-glob and chokidar match
// with); braces, classes, `**` and the dotfile rules are where a hand-written matcher would go wrong.
// The posix build: patterns and the paths matched against them use '/' on every platform.
import picomatch from 'picomatch/posix';

export class InputPathError extends Error {
  override name = 'InputPathError';
}

/** Something a spec reached that is not in `files`, and why (the command reports these). */
export interface InputSkip {
  path: string;
  reason: string;
}

export interface ExpandedInputs {
  files: string[];
  skipped: InputSkip[];
}

export interface ExpandOptions {
  /** Lowercase extensions with the dot that a directory walk or glob picks up, e.g. ['.jpg', '.jpeg', '.png']. */
  extensions: readonly string[];
  /** Where '-' reads its lines from (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

/** What a directory walk takes as images: the decoders' formats (PNG and JPEG), by extension. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.jpe', '.jfif', '.png'];

/** The largest list (`@FILE` or `-`) read: millions of paths, yet a bounded amount of memory. */
export const INPUT_LIST_LIMIT = 64 * 1024 * 1024;

/** What marks a spec that does not exist as a glob pattern. */
const GLOB_CHARS = /[*?[{]/;

/** A skip with the file it names (when known), so a later spec that includes that file can withdraw it. */
interface Skip extends InputSkip {
  real?: string;
}

interface State {
  readonly extensions: ReadonlySet<string>;
  readonly files: string[];
  readonly skipped: Skip[];
  /** Realpaths of the files in `files`: the same file reached twice (`a.jpg ./a.jpg`, two links) is kept once. */
  readonly seen: Set<string>;
}

/**
 * Expands `specs` into files: an existing file is taken whatever its extension or kind (the reader
 * reports one that is not an image, or not a regular file); a directory is walked for `o.extensions`; a missing path with any of
 * `* ? [ {` is a glob; `@FILE` and `-` (once) are lists of such specs, one a line, relative to the
 * working directory (as `tar -T` and `rsync --files-from` read them).
 */
export async function expandInputs(specs: readonly string[], o: ExpandOptions): Promise<ExpandedInputs> {
  // Before anything is read: the second '-' would find stdin already consumed.
  if (specs.filter((s) => s === '-').length > 1) throw new InputPathError("'-' (standard input) can be given only once");
  const st: State = { extensions: new Set(o.extensions.map((e) => e.toLowerCase())), files: [], skipped: [], seen: new Set() };
  for (const spec of specs) {
    if (spec === '-') {
      for (const line of await readList(o.stdin ?? process.stdin, '-', "'-' (standard input)")) await expandSpec(st, line);
    } else if (spec.startsWith('@')) {
      const file = spec.slice(1);
      for (const line of await readList(null, file, spec)) await expandSpec(st, line);
    } else {
      await expandSpec(st, spec);
    }
  }
  // A file skipped by a walk but named by another spec (`photos/ photos/x.heic`) was included after all;
  // the same skip reached twice (`photos/ photos/`) is reported once.
  const reported = new Set<string>();
  const skipped: InputSkip[] = [];
  for (const s of st.skipped) {
    const key = `${s.reason}\0${s.path}`;
    if ((s.real !== undefined && st.seen.has(s.real)) || reported.has(key)) continue;
    reported.add(key);
    skipped.push({ path: s.path, reason: s.reason });
  }
  return { files: st.files, skipped };
}

/**
 * Lines of a text stream (for `--text -` and for '-' paths): CRLF/LF split, a trailing newline does
 * not make an empty line; empty lines dropped. More than `limitBytes` (a runaway pipe, the wrong file)
 * is an error rather than memory exhausted; so is text that is not UTF-8 (a binary file).
 */
export async function readLines(stream: NodeJS.ReadableStream, limitBytes: number = INPUT_LIST_LIMIT): Promise<string[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text = '';
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string | Uint8Array>) {
      if (typeof chunk === 'string') {
        bytes += Buffer.byteLength(chunk);
        if (bytes > limitBytes) break;
        text += decoder.decode() + chunk;
      } else {
        bytes += chunk.byteLength;
        if (bytes > limitBytes) break;
        text += decoder.decode(chunk, { stream: true });
      }
    }
    text += decoder.decode();
  } catch (e) {
    if (e instanceof TypeError && (e as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw new InputPathError('not UTF-8 text');
    throw e;
  }
  if (bytes > limitBytes) throw new InputPathError(`more than ${limitBytes} bytes of lines`);
  return text.split(/\r?\n/).filter((l) => l !== '');
}

/** The lines of a list: `stream`, or the file `path` when null (a FIFO too: `@<(find …)`); errors name `label`. */
async function readList(stream: NodeJS.ReadableStream | null, path: string, label: string): Promise<string[]> {
  try {
    if (stream) return await readLines(stream);
    if ((await stat(path)).isDirectory()) throw new InputPathError('is a directory');
    return await readLines(createReadStream(path));
  } catch (e) {
    throw new InputPathError(`${label}: cannot read the list: ${(e as Error).message}`);
  }
}

/** One spec or list line into `st` (`-` and `@…` are lists only on the command line: here they are paths). */
async function expandSpec(st: State, spec: string): Promise<void> {
  let s;
  try {
    s = await stat(spec);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && GLOB_CHARS.test(spec)) {
      const scan = picomatch.scan(spec);
      if (scan.isGlob) return expandGlob(st, spec, scan.base, scan.glob);
    }
    const link = await lstat(spec).then((l) => l.isSymbolicLink(), () => false);
    st.skipped.push({ path: spec, reason: link ? brokenLinkReason(code) : code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file or directory' : `cannot read: ${code ?? (e as Error).message}` });
    return;
  }
  if (s.isDirectory()) return walkDirectory(st, spec);
  // Named on its own, anything else is taken too (a device or FIFO as well): the reader refuses it
  // with the error that names what it is, and the command reports that.
  return addFile(st, spec);
}

/** Includes the file at `path` unless the same file is already in (silently). */
async function addFile(st: State, path: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (e) {
    st.skipped.push({ path, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return;
  }
  if (st.seen.has(real)) return;
  st.seen.add(real);
  st.files.push(path);
}

/** What `visit` is told about each entry a walk reaches (not dotfiles, unless the walk asked for them). */
interface Entry {
  /** `join(root, rel)`: relative when the user's spec is. */
  path: string;
  /** From the walk's root, '/'-separated (what a glob is matched against). */
  rel: string;
  depth: number;
  isDirectory: boolean;
}

interface WalkOptions {
  /** Whether entries whose name starts with '.' are seen (a glob that names them); skipped silently otherwise. */
  dot: boolean;
  /** For each file and directory, in walk order; true for a directory means: descend into it. */
  visit(e: Entry): Promise<boolean>;
}

/**
 * Depth-first walk of `root`, each directory's entries sorted by name (code-unit order, the same on
 * every platform and locale). Links are followed, but a directory already walked (by realpath) is
 * not walked again: a link loop (`dir/loop -> ..`) or two links to one folder end there. An entry
 * that cannot be read goes to `skipped`: one unreadable folder does not lose the rest of the tree.
 */
async function walk(st: State, root: string, o: WalkOptions): Promise<void> {
  const visited = new Set<string>();
  const descend = async (dir: string, rel: string, depth: number): Promise<void> => {
    let real: string;
    let entries: Dirent[];
    try {
      real = await realpath(dir);
      if (visited.has(real)) return;
      visited.add(real);
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      st.skipped.push({ path: dir, reason: `cannot read the directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      if (ent.name.startsWith('.') && !o.dot) continue;
      const path = join(dir, ent.name);
      const entRel = rel === '' ? ent.name : `${rel}/${ent.name}`;
      let isDirectory = ent.isDirectory();
      if (!isDirectory && !ent.isFile()) {
        // A link (or a filesystem that gives no types): what it leads to decides.
        try {
          const s = await stat(path);
          if (!s.isDirectory() && !s.isFile()) {
            st.skipped.push({ path, reason: `not a regular file (${kindOf(s)})` });
            continue;
          }
          isDirectory = s.isDirectory();
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          st.skipped.push({ path, reason: ent.isSymbolicLink() ? brokenLinkReason(code) : `cannot read: ${code ?? (e as Error).message}` });
          continue;
        }
      }
      if ((await o.visit({ path, rel: entRel, depth: depth + 1, isDirectory })) && isDirectory) await descend(path, entRel, depth + 1);
    }
  };
  await descend(root, '', 0);
}

/** A directory spec: every file with one of the extensions, the others reported as skipped; one with none of them, reported too. */
async function walkDirectory(st: State, dir: string): Promise<void> {
  const before = st.files.length + st.skipped.length;
  await walkFiles(st, dir);
  if (st.files.length + st.skipped.length === before) st.skipped.push({ path: dir, reason: `a directory with no image files in it (looked for ${[...st.extensions].join(', ')})` });
}

async function walkFiles(st: State, dir: string): Promise<void> {
  await walk(st, dir, {
    dot: false,
    visit: async (e) => {
      if (!e.isDirectory) await addImage(st, e.path);
      return true;
    },
  });
}

/** A file a walk found: included when its extension is one of the image types. */
async function addImage(st: State, path: string): Promise<void> {
  const ext = extname(path).toLowerCase();
  if (st.extensions.has(ext)) return addFile(st, path);
  const real = await realpath(path).catch(() => undefined);
  st.skipped.push({ path, reason: `not a supported image type (${ext || 'no extension'})`, ...(real === undefined ? {} : { real }) });
}

/**
 * A glob: the walk starts at its static base (`shots` of `shots/**\/*.png`, '.' for `*.png`) and
 * keeps what matches the rest. A matched file is included whatever its extension (the user named
 * it); a matched directory is walked like a directory spec. Dot entries below the base are only
 * seen when the pattern has a segment starting with '.'; without `**` the walk goes no deeper
 * than the pattern's segments.
 */
async function expandGlob(st: State, spec: string, base: string, glob: string): Promise<void> {
  const isMatch = picomatch(glob, { dot: false });
  const maxDepth = glob.includes('**') ? Infinity : glob.split('/').length;
  let matched = false;
  const root = base === '' ? '.' : base;
  // The base must be a directory: `missing/*.jpg` matches nothing (not a directory error).
  const s = await stat(root).catch(() => null);
  if (s?.isDirectory()) {
    await walk(st, root, {
      dot: /(^|[/{,])\./.test(glob),
      visit: async (e) => {
        if (isMatch(e.rel)) {
          matched = true;
          if (e.isDirectory) await walkDirectory(st, e.path);
          else await addFile(st, e.path);
          return false;
        }
        return e.isDirectory && e.depth < maxDepth;
      },
    });
  }
  if (!matched) st.skipped.push({ path: spec, reason: 'no file matches this pattern' });
}

function brokenLinkReason(code: string | undefined): string {
  return code === 'ELOOP' ? 'a symbolic link loop' : 'a broken symbolic link';
}

function kindOf(s: Stats): string {
  return s.isFIFO() ? 'a FIFO' : s.isSocket() ? 'a socket' : s.isCharacterDevice() ? 'a character device' : s.isBlockDevice() ? 'a block device' : 'not a file or directory';
}
