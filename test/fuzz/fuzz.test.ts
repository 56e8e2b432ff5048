/**
 * The fuzz suite (seeded, bounded): mutated safetensors headers and bodies, mutated .pt zips and
 * pickles, truncated and bit-flipped PNG/JPEG files, random token arrays and texts. Each class runs
 * in a child process under a watchdog: every case must end in a result that holds the class's
 * invariants or in a named error naming the input (test/fuzz/targets.ts), within CASE_LIMIT_MS,
 * and the process's peak memory must stay under MAX_RSS_MB. Seeds: regressions.json first, then
 * FUZZ_SEED (default fixed, so CI is reproducible) onwards. A failure prints the class and seed to
 * add to regressions.json.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES, haveFixtures } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { rng } from '../helpers/random.js';
import { createFromBytes } from '../../src/api/mobileclip.js';
import { modelSpecFromConfig } from '../../src/models/model-specs.js';
import '../../src/preprocess/image-input.node.js';
import { runCli } from '../helpers/cli.js';
import { FUZZ_CLASSES, type FuzzClass, loadContext } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const CASES: Record<FuzzClass, number> = { safetensors: 20000, pt: 6000, png: 20000, jpeg: 15000, tokens: 20000, text: 300 };
const CASE_LIMIT_MS = 5000;
const MAX_RSS_MB = 1536;
const FIRST_SEED = Number(process.env.FUZZ_SEED ?? 1);
const regressions = JSON.parse(readFileSync(join(here, 'regressions.json'), 'utf8')).seeds as Partial<Record<FuzzClass, number[]>>;

interface Line {
  start?: number;
  seed?: number;
  ms?: number;
  kind?: 'result' | 'error' | 'finding';
  strategy?: string;
  detail?: string;
  done?: boolean;
  maxRssKb?: number;
}

function runClass(cls: FuzzClass, seeds: number[]): Promise<{ lines: Line[]; hung: number | null; exit: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'child.ts'), cls, ...seeds.map(String)], {
      cwd: root,
      env: { ...process.env, MOBILECLIP_FIXTURES: FIXTURES!, FUZZ_VOCAB: resolve(FIXTURES!, '../vocab/bpe_simple_vocab_16e6.txt.gz') },
    });
    const lines: Line[] = [];
    let buf = '';
    let stderr = '';
    let hung: number | null = null;
    let current: number | null = null;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hung = current;
        child.kill('SIGKILL');
      }, CASE_LIMIT_MS + 10_000); // + start-up (tsx, the vocabulary)
    };
    arm();
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
        const l = JSON.parse(buf.slice(0, i)) as Line;
        lines.push(l);
        if (l.start !== undefined) current = l.start;
        arm();
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (exit) => {
      clearTimeout(timer);
      done({ lines, hung, exit, stderr });
    });
  });
}

describe.runIf(haveFixtures())('fuzz: every mutated input ends in a result or a named error, in bounded time and memory', () => {
  const summary: string[] = [];
  for (const cls of FUZZ_CLASSES) {
    it(`${cls}: ${CASES[cls]} seeded cases from ${FIRST_SEED} (+ ${regressions[cls]?.length ?? 0} regression seeds)`, async () => {
      const seeds = [...(regressions[cls] ?? []), ...Array.from({ length: CASES[cls] }, (_, i) => FIRST_SEED + i)];
      const t0 = performance.now();
      const { lines, hung, exit, stderr } = await runClass(cls, seeds);
      const cases = lines.filter((l) => l.seed !== undefined);
      const findings = cases.filter((l) => l.kind === 'finding');
      const slow = cases.filter((l) => l.ms! > CASE_LIMIT_MS);
      const end = lines.find((l) => l.done);
      const counts = { result: 0, error: 0, finding: 0 };
      for (const c of cases) counts[c.kind!]++;
      const slowest = cases.reduce((m, c) => Math.max(m, c.ms!), 0);
      const line = `${cls}: ${cases.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s — ${counts.result} results, ${counts.error} named errors, ${counts.finding} findings, ${hung === null ? 0 : 1} hangs; slowest ${slowest.toFixed(0)} ms; peak RSS ${end ? (end.maxRssKb! / 1024).toFixed(0) : '?'} MB`;
      summary.push(line);
      console.log(line);
      for (const f of findings.slice(0, 5)) console.log(`  finding: ${cls} seed ${f.seed} (${f.strategy}): ${f.detail}`);
      expect(hung, `${cls} seed ${hung} ran past ${CASE_LIMIT_MS} ms (killed); add it to regressions.json`).toBeNull();
      expect(exit, `the ${cls} fuzz process died (exit ${exit}) after seed ${lines.at(-1)?.start}:\n${stderr.slice(-2000)}`).toBe(0);
      expect(cases.length).toBe(seeds.length);
      expect(findings.map((f) => `${cls} seed ${f.seed} (${f.strategy}): ${f.detail}`)).toEqual([]);
      expect(slow.map((s) => `seed ${s.seed}: ${s.ms!.toFixed(0)} ms`)).toEqual([]);
      expect(end!.maxRssKb! / 1024).toBeLessThan(MAX_RSS_MB);
      // Not vacuous: every class must see both outcomes (mutations that still parse, and ones refused).
      if (cls !== 'text') expect(counts.error).toBeGreaterThan(0);
      expect(counts.result).toBeGreaterThan(0);
    });
  }
});

describe.runIf(haveFixtures())('fuzz: corrupted weights through the model never give a non-finite embedding', () => {
  const g = useGpu();
  it('clip-tiny with random floats set to NaN, ±Inf, 3e38, 1e30 or bit-flipped: a finite result, or NonFiniteWeightError / NonFiniteOutputError', async () => {
    const spec = modelSpecFromConfig(JSON.parse(readFileSync(join(FIXTURES!, 'clip-tiny', 'config.json'), 'utf8')));
    const good = new Uint8Array(readFileSync(join(FIXTURES!, 'clip-tiny', 'model.safetensors')));
    const dataStart = 8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
    const png = new Uint8Array(readFileSync(join(FIXTURES!, 'preprocess', 'coffee.png')));
    const counts: Record<string, number> = {};
    for (let seed = FIRST_SEED; seed < FIRST_SEED + 24; seed++) {
      const r = rng(seed);
      const bytes = good.slice();
      const v = new DataView(bytes.buffer);
      const values = [NaN, Infinity, -Infinity, 3e38, 1e30, -1e30];
      for (let k = 1 + Math.floor(r() * 4); k > 0; k--) {
        const at = dataStart + 4 * Math.floor((r() * (bytes.length - dataStart)) / 4);
        if (r() < 0.3) bytes[at + Math.floor(r() * 4)] ^= 1 << Math.floor(r() * 8);
        else v.setFloat32(at, values[Math.floor(r() * values.length)], true);
      }
      const allowNonFinite = seed % 2 === 0;
      let outcome: string;
      try {
        const m = createFromBytes({ gpu: g.gpu, spec, weights: bytes, source: `fuzz-weights-${seed}`, allowNonFinite });
        try {
          const img = await m.encodeImages([png]);
          const { contextLength, vocabSize } = spec.text;
          const ids = new Int32Array(contextLength);
          ids.set([vocabSize - 2, 7, vocabSize - 1]);
          const txt = await m.encodeTokens(ids, 1);
          expect([...img.data, ...txt.data].every(Number.isFinite), `seed ${seed}: a non-finite embedding was returned`).toBe(true);
          outcome = 'finite result';
        } finally {
          m.dispose();
        }
      } catch (e) {
        const err = e as Error;
        expect(['NonFiniteWeightError', 'NonFiniteOutputError'], `seed ${seed}: ${err.name}: ${err.message}`).toContain(err.name);
        expect(err.message).toMatch(err.name === 'NonFiniteWeightError' ? `fuzz-weights-${seed}` : /image|text/);
        outcome = err.name;
      }
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    console.log(`corrupted-weight outcomes over 24 seeds: ${JSON.stringify(counts)}`);
    expect(counts.NonFiniteWeightError).toBeGreaterThan(0);
    expect(Object.keys(counts).length).toBeGreaterThan(1);
  });
});

describe.runIf(haveFixtures())('fuzz: the CLI on mutated files exits 0 or 1 with a one-line error naming the file', () => {
  it('preprocess on 6 mutated images and info on 4 mutated checkpoints (seeded)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mobileclip-fuzz-cli-'));
    try {
      const ctx = loadContext(FIXTURES!, resolve(FIXTURES!, '../vocab/bpe_simple_vocab_16e6.txt.gz'));
      const jobs: [string, Uint8Array, string[]][] = [];
      for (let i = 0; i < 6; i++) {
        const r = rng(FIRST_SEED * 31 + i);
        const files = i % 2 ? ctx.jpegs : ctx.pngs;
        const src = new Uint8Array(readFileSync(join(here, '..', 'fixtures', 'images', files[Math.floor(r() * files.length)])));
        const name = join(dir, `mutated-${i}.${i % 2 ? 'jpg' : 'png'}`);
        jobs.push([name, i < 3 ? src.slice(0, Math.floor(r() * src.length)) : src.map((b, k) => (k > 20 && r() < 0.01 ? b ^ 0x10 : b)), ['preprocess', name, '--size', '8', '--out', join(dir, `out-${i}.safetensors`)]]);
      }
      for (let i = 0; i < 4; i++) {
        const r = rng(FIRST_SEED * 37 + i);
        const name = join(dir, `mutated-${i}.pt`);
        jobs.push([name, ctx.ptBase.map((b) => (r() < 0.0005 ? b ^ 0x04 : b)), ['info', name]]);
      }
      const codes: number[] = [];
      for (const [file, bytes, argv] of jobs) {
        writeFileSync(file, bytes);
        const res = await runCli(...argv);
        codes.push(res.code!);
        expect([0, 1], `${argv.join(' ')}: exit ${res.code}\n${res.err}`).toContain(res.code);
        expect(res.err, argv.join(' ')).not.toMatch(/^\s+at /m); // no stack trace
        if (res.code === 1) {
          expect(res.err.split('\n')).toHaveLength(1);
          expect(res.err).toContain(file);
        }
      }
      console.log(`CLI exit codes: ${codes.join(' ')}`);
      expect(codes).toContain(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
