/**
 * Cold start on the CPU backend, as a user meets it: the built CLI's first S0 image embedding,
 * from process start to exit (npm run bench:cold-cpu -- [--cli=dist/node/cli.js,OTHER/cli.js]
 * [--runs=5] [--weights=FILE] [--image=FILE] [--json=FILE]). Each run is a fresh
 * `node CLI embed --device cpu IMAGE --weights FILE --progress` under /usr/bin/time (peak RSS);
 * with several CLIs (a build of another commit, say) the runs are interleaved, so machine drift
 * hits them alike. Phases come from the CLI's own progress lines: the load (checkpoint read,
 * re-parameterised, laid out for the kernels), the first embedding (decode + forward), and the
 * rest (Node start-up, module load, exit).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { printTable, median } from './harness.js';
import { v8Flags } from './cli-v8-flags.js';

const arg = (k: string, d?: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const fixtures = process.env.MOBILECLIP_FIXTURES ?? '../shared/fixtures';
const clis = arg('cli', 'dist/node/cli.js')!.split(',');
const runs = Number(arg('runs', '5'));
const weights = arg('weights', `${fixtures}/s0-full/model.safetensors`)!;
const image = arg('image', `${fixtures}/preprocess/astronaut.png`)!;
for (const f of [...clis, weights, image]) if (!existsSync(f)) throw new Error(`${f} does not exist (npm run build first; set MOBILECLIP_FIXTURES)`);
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

interface Run {
  totalMs: number;
  loadMs: number;
  embedMs: number;
  restMs: number;
  peakRssMb: number | null;
}

/** Seconds from a progress line `label… done in 1.23 s`. */
function phaseMs(stderr: string, label: string): number {
  const m = new RegExp(`${label}[^\\n]*?done in ([0-9.]+) s`).exec(stderr);
  if (!m) throw new Error(`no "${label} … done in" line in the CLI's stderr:\n${stderr}`);
  return Number(m[1]) * 1000;
}

function once(cli: string): Run {
  const args = [process.execPath, ...v8Flags(), cli, 'embed', '--device', 'cpu', image, '--weights', weights, '--progress'];
  const t0 = performance.now();
  const r = timeBin ? spawnSync(timeBin, ['-f', 'peak-rss-kb %M', ...args], { encoding: 'utf8' }) : spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  const totalMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cli} exited with ${r.status}:\n${r.stderr}`);
  const loadMs = phaseMs(r.stderr, 'loading');
  const embedMs = phaseMs(r.stderr, 'embedding');
  const rss = /peak-rss-kb (\d+)/.exec(r.stderr);
  return { totalMs, loadMs, embedMs, restMs: totalMs - loadMs - embedMs, peakRssMb: rss ? Number(rss[1]) / 1024 : null };
}

const results = new Map<string, Run[]>(clis.map((c) => [c, []]));
for (let i = 0; i < runs; i++) for (const c of clis) results.get(c)!.push(once(c));

const med = (rs: Run[], k: keyof Run) => (rs[0][k] === null ? '—' : Math.round(median(rs.map((r) => r[k] as number))));
const rows = clis.map((c) => {
  const rs = results.get(c)!;
  return { cli: c, runs: rs.length, 'total ms': med(rs, 'totalMs'), 'min total': Math.round(Math.min(...rs.map((r) => r.totalMs))), 'load ms': med(rs, 'loadMs'), 'first embedding ms': med(rs, 'embedMs'), 'start-up + exit ms': med(rs, 'restMs'), 'peak RSS MB': med(rs, 'peakRssMb') };
});
console.log(`first S0 image embedding on the CPU from process start (medians of ${runs}, runs interleaved; ${weights})`);
printTable(rows);
const report = { weights, image, node: process.version, runs: Object.fromEntries(results), medians: rows };
const json = arg('json');
if (json) writeFileSync(json, JSON.stringify(report, null, 1));
