/** `mobileclip cache list|clear|verify [--json]` and `mobileclip download NAME`: the download cache, seen and filled from the command line. */
import { FolderCache } from '../io/byte-cache.node.js';
import { downloadModel, offlineFromEnv } from '../api/node.js';
import { type Args, type CommandSpec, option, UsageError } from './args.js';
import { Progress } from './progress.js';

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;

export const cacheSpec: CommandSpec = {
  name: 'cache',
  synopsis: 'list|clear|verify [--json]',
  summary: 'The download cache (MOBILECLIP_CACHE, default ~/.cache/mobileclip-webgpu): list its entries, remove them all, or re-hash each and drop the damaged ones.',
  positionals: { min: 1, max: 1 },
  options: { json: { type: 'boolean', help: 'the result as JSON' } },
};

export async function cache(args: Args): Promise<number> {
  const [what] = args.positional;
  const c = new FolderCache();
  const json = args.flags.has('json');
  if (what === 'list') {
    const entries = await c.entries();
    if (json) console.log(JSON.stringify({ where: c.where, entries: entries.map(({ url, size, sha256, etag, stored, written }) => ({ url, size, sha256, etag, stored, written })) }, null, 2));
    else {
      console.log(`${c.where}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, ${mb(entries.reduce((a, e) => a + (e.stored ?? 0), 0))}`);
      for (const e of entries) console.log(`  ${mb(e.size).padStart(10)}  ${e.written?.toISOString().slice(0, 10) ?? '(no body)'}  ${e.sha256?.slice(0, 12) ?? '-'}  ${e.url}${e.stored !== e.size ? `  (on disk: ${e.stored ?? 'missing'})` : ''}`);
    }
    return 0;
  }
  if (what === 'clear') {
    const r = await c.clear();
    console.log(json ? JSON.stringify({ where: c.where, ...r }) : `removed ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'} (${mb(r.bytes)}) from ${c.where}`);
    return 0;
  }
  if (what === 'verify') {
    const r = await c.verify();
    if (json) console.log(JSON.stringify({ where: c.where, entries: r }, null, 2));
    else {
      for (const e of r) console.log(`  ${e.ok ? 'ok     ' : 'dropped'}  ${e.url}${e.why ? `: ${e.why}` : ''}`);
      console.log(`${r.filter((e) => e.ok).length} of ${r.length} entries intact in ${c.where}${r.some((e) => !e.ok) ? '; the dropped ones download again when next needed' : ''}`);
    }
    return 0;
  }
  throw new UsageError(`mobileclip cache: unknown action "${what}" (list, clear or verify)`);
}

export const downloadSpec: CommandSpec = {
  name: 'download',
  synopsis: 'NAME|hf-hub:ORG/REPO|CONFIG.json [--weights FILE|URL] [--no-vocab] [--json]',
  summary: 'Fetches a model\'s checkpoint and the vocabulary into the cache without running it (what the first classify or embed would download), with progress.',
  positionals: { min: 1, max: 1 },
  options: {
    weights: { type: 'string', value: 'FILE|URL', help: 'the checkpoint to fetch instead of the published one (a URL or hf-hub: reference)' },
    'no-vocab': { type: 'boolean', help: 'the checkpoint only' },
    json: { type: 'boolean', help: 'what was fetched, as JSON' },
  },
};

export async function download(args: Args): Promise<number> {
  const [name] = args.positional;
  if (offlineFromEnv()) throw new UsageError('mobileclip download: downloads are off (MOBILECLIP_OFFLINE)');
  const progress = Progress.for(args);
  const got = await progress.phase(`downloading ${name}`, () => downloadModel(name, { weights: option(args, 'weights'), vocab: args.flags.has('no-vocab') ? false : true, onProgress: progress.load() }));
  if (args.flags.has('json')) console.log(JSON.stringify(got));
  else for (const f of got) console.error(`${f.what}: ${f.source} (${mb(f.bytes)}) is in ${new FolderCache().where}`);
  return 0;
}
