/**
 * Download speed against the network's (npm run bench:download): a local server holds the
 * full-size S0 checkpoint (the s0-full fixture, 108 MB) as Apple's mobileclip_s0.pt, and each round
 * times, interleaved, fresh caches every time:
 *   curl       `curl -o /dev/null` (the network's speed here);
 *   download   `mobileclip download mobileclip_s0 --no-vocab` (a process: Node's start-up included,
 *              and also reported without it: `mobileclip --version` timed in the same round);
 *   load       the library's createModelAndTransforms, from its first download event to its last,
 *              with the image tower's kernels compiling alongside (precompile, the default) on
 *              --device (default webgpu): the case where a download used to compete with compilation.
 * Options: --rounds=3 --device=webgpu|cpu --rate=MB/s (the server paces its writes to this rate: a
 * real link rather than loopback; default unpaced) --out=bench/results/download. Needs MOBILECLIP_FIXTURES.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createModelAndTransforms } from '../src/api/node.js';
import { FolderCache } from '../src/io/byte-cache.node.js';
import { median, printTable } from './harness.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const rounds = Number(arg('rounds', '3'));
const device = arg('device', 'webgpu') as 'webgpu' | 'cpu';
const rate = Number(arg('rate', '0')) * 1e6;
const outBase = arg('out', 'bench/results/download');
const fixtures = process.env.MOBILECLIP_FIXTURES;
if (!fixtures) throw new Error('set MOBILECLIP_FIXTURES to the shared fixtures folder');

const body = readFileSync(join(fixtures, 's0-full', 'model.safetensors'));
const vocab = readFileSync(resolve(fixtures, '../vocab/bpe_simple_vocab_16e6.txt.gz'));
const server = createServer((req, res) => {
  const b = req.url === '/apple/mobileclip_s0.pt' ? body : req.url === '/clip/vocab.txt.gz' ? vocab : null;
  if (!b) return res.writeHead(404).end();
  res.writeHead(200, { 'content-length': String(b.byteLength), 'content-type': 'application/octet-stream' });
  if (!rate) return res.end(b);
  // Paced: 1 MB pieces on a schedule that keeps the average at `rate` (waiting for the socket when it is behind).
  const piece = 1 << 20;
  const t0 = performance.now();
  const send = (at: number): void => {
    if (at >= b.byteLength) return void res.end();
    const more = res.write(b.subarray(at, at + piece));
    const due = t0 + ((at + piece) / rate) * 1000 - performance.now();
    const next = () => setTimeout(() => send(at + piece), Math.max(0, due));
    if (more) next();
    else res.once('drain', next);
  };
  send(0);
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
const url = `${base}/apple/mobileclip_s0.pt`;
const dir = mkdtempSync(join(tmpdir(), 'mobileclip-bench-download-'));
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

const rows: { round: number; curl: number; download: number; startup: number; load: number }[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const curl = await timed('curl', ['-s', '-o', '/dev/null', url], dir);
    const startup = await timed(process.execPath, [bin, '--version'], dir);
    const download = await timed(process.execPath, [bin, 'download', 'mobileclip_s0', '--no-vocab'], cacheDir());
    const load = await libraryDownload();
    rows.push({ round, curl, download, startup, load });
    console.error(`round ${round}: curl ${curl.toFixed(2)} s, download ${download.toFixed(2)} s (start-up ${startup.toFixed(2)} s), library load's download ${load.toFixed(2)} s`);
  }
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}

const mb = body.byteLength / 1e6;
const med = (k: 'curl' | 'download' | 'startup' | 'load') => median(rows.map((r) => r[k]));
const summary = [
  { what: 'curl -o /dev/null', 'median s': med('curl'), 'MB/s': mb / med('curl'), 'vs curl': 1 },
  { what: 'mobileclip download (process)', 'median s': med('download'), 'MB/s': mb / med('download'), 'vs curl': med('download') / med('curl') },
  { what: 'mobileclip download, less start-up', 'median s': med('download') - med('startup'), 'MB/s': mb / (med('download') - med('startup')), 'vs curl': (med('download') - med('startup')) / med('curl') },
  { what: `library load's download (${device}, kernels compiling)`, 'median s': med('load'), 'MB/s': mb / med('load'), 'vs curl': med('load') / med('curl') },
];
console.log(`${mb.toFixed(1)} MB from a local server${rate ? ` paced to ${rate / 1e6} MB/s` : ''}, ${rounds} interleaved rounds, fresh caches`);
printTable(summary.map((r) => ({ ...r, 'median s': Number(r['median s'].toFixed(3)), 'MB/s': Number(r['MB/s'].toFixed(0)), 'vs curl': Number(r['vs curl'].toFixed(2)) })));
mkdirSync(join(outBase, '..'), { recursive: true });
writeFileSync(`${outBase}.json`, JSON.stringify({ bytes: body.byteLength, device, rateBytesPerSecond: rate || null, rounds: rows, summary }, null, 2));
console.log(`wrote ${outBase}.json`);
