/**
 * Download speed against the network's (npm run bench:download): a local server holds the
 * full-size S0 checkpoint (the s0-full fixture, 108 MB) as Apple's mobileclip_s0.pt, or with
 * --size=MB a synthetic safetensors of that size (one random tensor) as an L-14-sized checkpoint,
 * and each round times, interleaved, fresh caches every time:
 *   curl       `curl -o /dev/null` (the network's speed here), and `curl -o FILE` into the
 *              benchmark's folder (the same disk as the cache: what writing the file costs);
 *   download() the library's download() alone into a fresh FolderCache, from the call to the
 *              committed entry (request, body, sha256, check, flush and rename included);
 *   download   `mobileclip download mobileclip_s0 --no-vocab` (a process: Node's start-up included,
 *              and also reported without it: `mobileclip --version` timed in the same round);
 *   load       (the S0 file only) the library's createModelAndTransforms, from its first download
 *              event to its last, with the image tower's kernels compiling alongside (precompile,
 *              the default) on --device (default webgpu): the case where a download used to
 *              compete with compilation.
 * Options: --rounds=3 --device=webgpu|cpu --rate=MB/s (the server paces its writes to this rate: a
 * real link rather than loopback; default unpaced) --size=MB --out=bench/results/download
 * --baseline=DIR (another checkout, e.g. a worktree of main: its download() and its CLI are timed
 * in the same rounds, for a before/after on one machine at one time).
 * Needs MOBILECLIP_FIXTURES.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createModelAndTransforms } from '../src/api/node.js';
import { FolderCache } from '../src/io/byte-cache.node.js';
import { download } from '../src/io/download.js';
import { nodeHttpGet } from '../src/io/http-get.node.js';
import { median, printTable } from './harness.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const rounds = Number(arg('rounds', '3'));
const device = arg('device', 'webgpu') as 'webgpu' | 'cpu';
const rate = Number(arg('rate', '0')) * 1e6;
const size = Number(arg('size', '0')) * 1e6;
const outBase = arg('out', 'bench/results/download');
const baseline = arg('baseline', '');
const fixtures = process.env.MOBILECLIP_FIXTURES;
if (!fixtures) throw new Error('set MOBILECLIP_FIXTURES to the shared fixtures folder');

/** A safetensors file of `n` bytes: one U8 tensor of random bytes (a 1 MB pattern repeated). */
function syntheticCheckpoint(n: number): Buffer {
  const head = (len: number) => Buffer.from(JSON.stringify({ t: { dtype: 'U8', shape: [len], data_offsets: [0, len] } }).padEnd(120));
  const len = n - 8 - head(n).byteLength;
  const header = head(len);
  const out = Buffer.allocUnsafe(8 + header.byteLength + len);
  out.writeBigUInt64LE(BigInt(header.byteLength));
  header.copy(out, 8);
  const pattern = randomBytes(1 << 20);
  for (let at = 8 + header.byteLength; at < out.byteLength; at += pattern.byteLength) pattern.copy(out, at, 0, Math.min(pattern.byteLength, out.byteLength - at));
  return out;
}
const dir = mkdtempSync(join(tmpdir(), 'mobileclip-bench-download-'));
const bodyPath = size ? join(dir, '..', `${dir.split('/').at(-1)}-synthetic.safetensors`) : join(fixtures, 's0-full', 'model.safetensors');
if (size) writeFileSync(bodyPath, syntheticCheckpoint(size));
const bodyBytes = statSync(bodyPath).size;
const server = spawn(process.execPath, ['--import', 'tsx', resolve('bench/download-server.ts'), bodyPath, resolve(fixtures, '../vocab/bpe_simple_vocab_16e6.txt.gz'), String(rate)], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((done, fail) => {
  server.stdout.once('data', (c: Buffer) => done(Number(c.toString().trim())));
  server.once('exit', (code) => fail(new Error(`the download server exited (${code})`)));
});
const base = `http://127.0.0.1:${port}`;
const url = size ? `${base}/synthetic.safetensors` : `${base}/apple/mobileclip_s0.pt`;
/** What `mobileclip download` fetches: S0's published file, or the synthetic one as an L-14 checkpoint (its size bound fits). */
const downloadArgs = size ? ['download', 'MobileCLIP2-L-14', '--weights', url, '--no-vocab'] : ['download', 'mobileclip_s0', '--no-vocab'];
const bin = resolve('bin/mobileclip.mjs');
let fresh = 0;
const cacheDir = () => join(dir, `cache-${fresh++}`);
const env = (cache: string) => ({ ...process.env, MOBILECLIP_APPLE_URL: `${base}/apple`, MOBILECLIP_VOCAB_URL: `${base}/clip/vocab.txt.gz`, MOBILECLIP_CACHE: cache, MOBILECLIP_OFFLINE: '' });

/** Wall seconds of a command run to completion in a child process (it must succeed; not spawnSync: the server runs in this process). */
async function timed(cmd: string, args: string[], cache: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { env: env(cache), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${code}\n${err}`);
  return (performance.now() - t0) / 1000;
}

/** What download() is given in Node: its cache, and the transport node.ts picks (none in a checkout from before there was a choice). */
type DownloadIn = (url: string, cacheDir: string) => Promise<Uint8Array>;
const ours: DownloadIn = (u, c) => download(u, { what: 'weights', cache: new FolderCache(c), get: nodeHttpGet, maxBytes: bodyBytes });
const theirs: DownloadIn | null = baseline
  ? await (async () => {
      const d = (await import(resolve(baseline, 'src/io/download.ts'))) as typeof import('../src/io/download.js');
      const c = (await import(resolve(baseline, 'src/io/byte-cache.node.ts'))) as typeof import('../src/io/byte-cache.node.js');
      return (u: string, dir: string) => d.download(u, { what: 'weights', cache: new c.FolderCache(dir), maxBytes: bodyBytes });
    })()
  : null;

/** Seconds of a library's download() alone (a fresh folder cache), from the call to the committed entry. */
async function libraryDownloadAlone(fn: DownloadIn = ours): Promise<number> {
  const t0 = performance.now();
  const bytes = await fn(url, cacheDir());
  const s = (performance.now() - t0) / 1000;
  if (bytes.byteLength !== bodyBytes) throw new Error(`download() gave ${bytes.byteLength} bytes, not ${bodyBytes}`);
  return s;
}

/** Seconds from the library's first download event for the weights to its last (the load goes on after). */
async function libraryDownload(): Promise<number> {
  let start = 0;
  let end = 0;
  const m = await createModelAndTransforms('mobileclip_s0', {
    cache: new FolderCache(cacheDir()),
    sources: { appleUrl: `${base}/apple`, vocabUrl: `${base}/clip/vocab.txt.gz` },
    offline: false,
    device,
    onProgress: (p) => {
      if (p.phase !== 'download' || p.what !== 'weights') return;
      if (p.loaded === 0) start = performance.now();
      if (p.loaded === p.total) end = performance.now();
    },
  });
  m.model.dispose();
  if (!start || !end) throw new Error('no download events for the weights');
  return (end - start) / 1000;
}

type Row = { round: number; curl: number; curlFile: number; library: number; download: number; startup: number; load: number | null; baseLibrary: number | null; baseDownload: number | null };
const rows: Row[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const curl = await timed('curl', ['-s', '-o', '/dev/null', url], dir);
    const curlFile = await timed('curl', ['-s', '-o', join(dir, 'curl.bin'), url], dir);
    rmSync(join(dir, 'curl.bin'));
    const library = await libraryDownloadAlone();
    const startup = await timed(process.execPath, [bin, '--version'], dir);
    const download = await timed(process.execPath, [bin, ...downloadArgs], cacheDir());
    const load = size ? null : await libraryDownload();
    const baseLibrary = theirs ? await libraryDownloadAlone(theirs) : null;
    const baseDownload = baseline ? await timed(process.execPath, [resolve(baseline, 'bin/mobileclip.mjs'), ...downloadArgs], cacheDir()) : null;
    rows.push({ round, curl, curlFile, library, download, startup, load, baseLibrary, baseDownload });
    rmSync(dir, { recursive: true, force: true }); // the caches of this round: a 1.7 GB file times a few rounds is a lot of disk
    mkdirSync(dir);
    console.error(`round ${round}: curl ${curl.toFixed(3)} s (to a file ${curlFile.toFixed(3)} s), download() ${library.toFixed(3)} s, mobileclip download ${download.toFixed(2)} s (start-up ${startup.toFixed(2)} s)${load === null ? '' : `, library load's download ${load.toFixed(3)} s`}${baseLibrary === null ? '' : `; baseline download() ${baseLibrary.toFixed(3)} s, mobileclip download ${baseDownload!.toFixed(2)} s`}`);
  }
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
  if (size) rmSync(bodyPath, { force: true });
}

const mb = bodyBytes / 1e6;
const med = (k: Exclude<keyof Row, 'round'>) => median(rows.map((r) => r[k] as number));
const line = (what: string, s: number) => ({ what, 'median s': s, 'MB/s': mb / s, 'vs curl': s / med('curl'), 'vs curl to a file': s / med('curlFile') });
const summary = [
  line('curl -o /dev/null', med('curl')),
  line('curl -o FILE', med('curlFile')),
  line("library download() into the cache", med('library')),
  line('mobileclip download (process)', med('download')),
  line('mobileclip download, less start-up', med('download') - med('startup')),
  ...(size ? [] : [line(`library load's download (${device}, kernels compiling)`, med('load'))]),
  ...(baseline
    ? [line(`baseline ${baseline}: download() into the cache`, med('baseLibrary')), line(`baseline: mobileclip download, less start-up`, med('baseDownload') - med('startup'))]
    : []),
];
console.log(`${mb.toFixed(1)} MB (${size ? 'synthetic' : 'the S0 checkpoint'}) from a local server${rate ? ` paced to ${rate / 1e6} MB/s` : ''}, ${rounds} interleaved rounds, fresh caches`);
printTable(summary.map((r) => ({ ...r, 'median s': Number(r['median s'].toFixed(3)), 'MB/s': Number(r['MB/s'].toFixed(0)), 'vs curl': Number(r['vs curl'].toFixed(2)), 'vs curl to a file': Number(r['vs curl to a file'].toFixed(2)) })));
mkdirSync(join(outBase, '..'), { recursive: true });
writeFileSync(`${outBase}.json`, JSON.stringify({ bytes: bodyBytes, synthetic: Boolean(size), baseline: baseline || null, device, rateBytesPerSecond: rate || null, rounds: rows, summary }, null, 2));
console.log(`wrote ${outBase}.json`);
