/**
 * The package as a user gets it: `npm pack` (prepack builds), installed into an empty project from
 * the tarball, then the installed CLI run through npx, the library imported from an .mjs, and a
 * TypeScript consumer type-checked for the node and browser conditions (node16 and bundler
 * resolution, skipLibCheck off) with TypeScript 7 and 5.9. publint and attw lint the tarball.
 * The README's marked shell examples run as written through the installed CLI (see
 * test/helpers/readme.ts for the markers, and the test below for what stands in for the network).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { TestServer } from '../helpers/http-server.js';
import { readmeShellBlocks, readmeText, shellWords } from '../helpers/readme.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);
const dir = mkdtempSync(join(tmpdir(), 'mobileclip-package-'));
const project = join(dir, 'consumer');
let tarball = '';

function sh(cmd: string, args: string[], cwd: string, timeout = 180_000, env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false', ...env } });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}\n${r.stdout}\n${r.stderr}`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `bash -c command` without blocking the event loop (a server in this process answers it). */
function shAsync(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-c', command], { cwd, env: { ...process.env, npm_config_update_notifier: 'false', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${command}: no exit after ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, out, err });
    });
  });
}

function ok(r: { code: number | null; out: string; err: string }, what: string): string {
  expect(r.code, `${what}\nstdout: ${r.out}\nstderr: ${r.err}`).toBe(0);
  return r.out;
}

beforeAll(() => {
  const packed = JSON.parse(ok(sh('npm', ['pack', '--json', '--pack-destination', dir], ROOT), 'npm pack')) as { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] }[];
  tarball = join(dir, packed[0].filename);
  console.log(`tarball ${packed[0].filename}: ${packed[0].size} bytes packed, ${packed[0].unpackedSize} unpacked, ${packed[0].files.length} files`);
  writeFileSync(join(dir, 'files.json'), JSON.stringify(packed[0].files.map((f) => f.path)));
  sh('mkdir', ['-p', project], dir);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const typesNode = JSON.parse(readFileSync(join(ROOT, 'node_modules/@types/node/package.json'), 'utf8')).version;
  ok(sh('npm', ['install', tarball, `@types/node@${typesNode}`, '--prefer-offline', '--no-audit', '--no-fund'], project), 'npm install <tarball>');
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships the built code, types, bin, README and LICENSE only', () => {
    const files = JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')) as string[];
    for (const f of ['dist/node/index.js', 'dist/node/cli.js', 'dist/node/jpeg-turbo.wasm', 'dist/licenses/libjpeg-turbo.md', 'dist/browser/index.js', 'dist/browser/worker.js', 'dist/types/index.node.d.ts', 'dist/types/index.browser.d.ts', 'dist/types/ts5/index.node.d.ts', 'bin/mobileclip.mjs', 'python/mobileclip_fixture.py', 'README.md', 'LICENSE', 'package.json']) {
      expect(files).toContain(f);
    }
    const stray = files.filter((f) => /^(src|test|bench|scripts|weights)\/|\.map$|\.tsbuildinfo$/.test(f));
    expect(stray).toEqual([]);
  });

  it('installs no package that dist/ already bundles; node_modules measured', () => {
    // Every package src/ imports is bundled by scripts/build.mjs except those kept external there
    // (Dawn; undici, loaded only behind a proxy).
    const RUNTIME = new Set(['webgpu', 'undici']);
    const imported = new Set<string>();
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/(?:from |import\()'([^'.][^']*)'/g)) if (!m[1].startsWith('node:')) imported.add(m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1].split('/')[0]);
      }
    };
    walk(join(ROOT, 'src'));
    const bundled = [...imported].filter((m) => !RUNTIME.has(m)).sort();
    expect(bundled).toContain('ftfy-js'); // the scan found the imports
    const declared = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies ?? {});
    expect(declared.filter((d) => bundled.includes(d))).toEqual([]);
    const tree = JSON.parse(ok(sh('npm', ['ls', '--omit=dev', '--all', '--json'], project), 'npm ls')) as { dependencies?: Record<string, { dependencies?: object }> };
    const names = new Set<string>();
    const collect = (deps: Record<string, { dependencies?: object }> | undefined) => {
      for (const [name, d] of Object.entries(deps ?? {})) {
        names.add(name);
        collect(d.dependencies as Record<string, { dependencies?: object }> | undefined);
      }
    };
    collect(tree.dependencies);
    expect(names.has('mobileclip-webgpu')).toBe(true);
    expect(bundled.filter((b) => names.has(b))).toEqual([]);
    const du = (path: string) => Number(ok(sh('du', ['-sb', path], project), 'du').split('\t')[0]);
    const all = du(join(project, 'node_modules'));
    const dawn = du(join(project, 'node_modules/webgpu'));
    console.log(`consumer node_modules: ${(all / 1e6).toFixed(1)} MB (${(dawn / 1e6).toFixed(1)} MB of it Dawn, the optional webgpu package; @types/node installed for the type check); packages: ${[...names].sort().join(', ')}`);
  });

  it('passes publint and attw (ESM-only profile: no CommonJS build by design)', () => {
    const lint = sh(bin('publint'), ['--strict', tarball], ROOT);
    console.log(lint.out.trim());
    ok(lint, 'publint');
    const attw = sh(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped'], ROOT);
    console.log(attw.out.trim());
    ok(attw, 'attw');
  });

  it('the installed CLI answers --help and --version through npx', () => {
    const help = ok(sh('npx', ['mobileclip', '--help'], project), 'npx mobileclip --help');
    expect(help).toMatch(/usage: mobileclip <command>/);
    const version = ok(sh('npx', ['mobileclip', '--version'], project), 'npx mobileclip --version').trim();
    expect(version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  describe.runIf(haveFixtures())('with fixtures', () => {
    const vocab = () => resolve(FIXTURES!, '../vocab/bpe_simple_vocab_16e6.txt.gz');

    it('preprocess of a JPEG and a PNG writes the reference pixels', async () => {
      const want = await readSafetensors(fixturePath('preprocess', 'preprocess.safetensors'));
      for (const name of ['photo_q90.jpg', 'astronaut.png']) {
        const out = join(project, `${name}.safetensors`);
        ok(sh('npx', ['mobileclip', 'preprocess', fixturePath('preprocess', name), '--size', '224', '--out', out], project), `preprocess ${name}`);
        const got = (await readSafetensors(out)).uint8('pixels');
        const ref = want.uint8(`${name.replace(/\.\w+$/, '')}.pixels_224`);
        expect(Buffer.compare(Buffer.from(got), Buffer.from(ref)), name).toBe(0);
      }
    });

    /** `classify` of a JPEG and a PNG on S0 through the installed CLI, as JSON; `env` for the child. */
    function classifyS0(env: NodeJS.ProcessEnv = {}) {
      const captions = JSON.parse(readFileSync(fixturePath('s0-full', 'config.json'), 'utf8')).fixture.text_input.captions as string[];
      const images = [fixturePath('preprocess', 'photo_q90.jpg'), fixturePath('preprocess', 'astronaut.png')];
      const r = sh('npx', ['mobileclip', 'classify', ...images, '--labels', captions.join('|'), '--weights', fixturePath('s0-full', 'model.safetensors'), '--vocab', vocab(), '--json'], project, 300_000, env);
      const got = JSON.parse(ok(r, 'classify')) as { file: string; predictions: { label: string; probability: number }[] }[];
      expect(got.map((g) => g.file)).toEqual(images);
      // probabilities in caption order, per image
      const probs = got.map((g) => captions.map((c) => g.predictions.find((p) => p.label === c)!.probability));
      return { r, captions, probs };
    }
    let onWebgpu: number[][] = [];

    it('classify of a JPEG and a PNG on S0: the PNG matches the reference logits, no Dawn noise on stderr', async () => {
      const { r, probs } = classifyS0();
      onWebgpu = probs;
      expect(r.err).not.toMatch(/artificially reduced/);
      const jpeg = probs[0];
      expect(jpeg.every(Number.isFinite)).toBe(true);
      expect(Math.abs(jpeg.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      // astronaut.png is image 0 of the S0 fixture.
      const logits = (await readSafetensors(fixturePath('s0-full', 'outputs.safetensors'))).float32('logits_per_image').subarray(0, 3);
      const m = Math.max(...logits);
      const e = Array.from(logits, (v) => Math.exp(v - m));
      const want = e.map((v) => v / e.reduce((a, b) => a + b, 0));
      for (let j = 0; j < 3; j++) expect(Math.abs(probs[1][j] - want[j]), `caption ${j}`).toBeLessThan(1e-5);
    });

    it('with no Vulkan driver visible, classify runs on the CPU backend: the same probabilities (|Δp| ≤ 1e-4), one plain line on stderr, none of Dawn\'s', () => {
      const { r, probs } = classifyS0({ VK_ICD_FILENAMES: '/nonexistent/icd.json', MOBILECLIP_DEVICE: 'auto' });
      expect(onWebgpu.length, 'the WebGPU run above').toBe(2);
      let worst = 0;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) worst = Math.max(worst, Math.abs(probs[i][j] - onWebgpu[i][j]));
      console.log(`classify on the CPU backend vs WebGPU (lavapipe): max|Δp| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-4);
      const lines = r.err.trim().split('\n');
      expect(lines).toEqual(['no Vulkan driver: none of the files in VK_ICD_FILENAMES exists: running on the CPU backend (pass --device cpu to skip the check, or install a Vulkan driver for WebGPU: mesa-vulkan-drivers on Debian and Ubuntu)']);
      expect(r.err).not.toMatch(/vkCreateInstance|Dawn|dawn/);
    });

    it('imports from an .mjs and embeds a file path, a file: URL and bytes identically to the reference', async () => {
      const script = join(project, 'embed.mjs');
      writeFileSync(
        script,
        `import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createModelAndTransforms } from 'mobileclip-webgpu';
const [config, weights, image] = process.argv.slice(2);
const m = await createModelAndTransforms(config, { weights });
const e = await m.model.encodeImages([image, pathToFileURL(image), readFileSync(image)]);
m.dispose();
console.log(JSON.stringify(Array.from(e.data)));
`,
      );
      const ref = (await readSafetensors(fixturePath('clip-tiny', 'outputs.safetensors'))).float32('image_embeddings').subarray(0, 64);
      const args = [script, fixturePath('clip-tiny', 'config.json'), fixturePath('clip-tiny', 'model.safetensors'), fixturePath('preprocess', 'coffee.png')];
      // With a Vulkan driver (WebGPU), and with none visible (the CPU backend, chosen by itself).
      for (const [where, env] of [['WebGPU', {}], ['no Vulkan driver: the CPU backend', { VK_ICD_FILENAMES: '/nonexistent/icd.json', MOBILECLIP_DEVICE: 'auto' }]] as const) {
        const r = sh('node', args, project, 180_000, env);
        const got = JSON.parse(ok(r, `node embed.mjs (${where})`)) as number[];
        let worst = 0;
        for (let k = 0; k < 3; k++) for (let d = 0; d < 64; d++) worst = Math.max(worst, Math.abs(got[k * 64 + d] - ref[d]));
        console.log(`installed package, ${where}, clip-tiny image embedding of coffee.png (path, URL, bytes): max|Δ| = ${worst.toExponential(2)}`);
        expect(worst).toBeLessThanOrEqual(1e-4 * Math.max(...Array.from(ref, Math.abs)));
        expect(r.err, where).not.toMatch(/vkCreateInstance/);
      }
    });

    /**
     * The README's examples as a user types them, in the consumer project (where `npx mobileclip`
     * is the installed package). The files they name are put there first: cat.jpg, dog.png and a
     * photos/ folder, copied from the preprocessing fixtures. No real checkpoint can be fetched
     * here, so a local server stands in for the network with the published file names:
     * MOBILECLIP_APPLE_URL serves the full-size S0 fixture as Apple's mobileclip_s0.pt (the default
     * model: classify, embed, index, search, download and --offline run it for real),
     * MOBILECLIP_VOCAB_URL the CLIP vocabulary, and MOBILECLIP_HUB_URL a hub holding
     * timm/MobileCLIP2-S0-OpenCLIP as the tiny OpenCLIP fixture (for `download hf-hub:…`). Blocks
     * marked `offline` name models whose real weights are not here (MobileCLIP2-S4, L-14, B-LT): they
     * run with MOBILECLIP_OFFLINE=1 and an empty cache and must fail only for the missing download
     * (exit 1, "downloads are off"; a usage error, such as a renamed option, exits 2).
     */
    it("the README's marked examples run as written through the installed CLI", async () => {
      const blocks = readmeShellBlocks();
      const server = await TestServer.start();
      try {
        server.set('/apple/mobileclip_s0.pt', readFileSync(fixturePath('s0-full', 'model.safetensors')));
        server.set('/clip/bpe_simple_vocab_16e6.txt.gz', readFileSync(vocab()));
        server.hub('timm/MobileCLIP2-S0-OpenCLIP', 'open_clip_config.json', readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'config.json')));
        server.hub('timm/MobileCLIP2-S0-OpenCLIP', 'open_clip_model.safetensors', readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors')));
        copyFileSync(fixturePath('preprocess', 'photo_q90.jpg'), join(project, 'cat.jpg'));
        copyFileSync(fixturePath('preprocess', 'astronaut.png'), join(project, 'dog.png'));
        mkdirSync(join(project, 'photos'), { recursive: true });
        for (const [from, to] of [['chelsea.png', 'chelsea.png'], ['coffee.png', 'coffee.png'], ['photo_q90.jpg', 'beach.jpg']]) copyFileSync(fixturePath('preprocess', from), join(project, 'photos', to));
        const quiet = { HF_TOKEN: '', HF_ENDPOINT: '', HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '', NO_PROXY: '', no_proxy: '', MOBILECLIP_DEVICE: 'auto' };
        const sources = { MOBILECLIP_APPLE_URL: `${server.url}/apple`, MOBILECLIP_VOCAB_URL: `${server.url}/clip/bpe_simple_vocab_16e6.txt.gz`, MOBILECLIP_HUB_URL: server.url };
        const env = {
          run: { ...quiet, ...sources, MOBILECLIP_CACHE: join(dir, 'readme-cache'), MOBILECLIP_OFFLINE: '' },
          offline: { ...quiet, ...sources, MOBILECLIP_CACHE: join(dir, 'readme-empty-cache'), MOBILECLIP_OFFLINE: '1' },
        };
        let ran = 0;
        for (const block of blocks) {
          if (!block.mode) continue;
          for (const command of block.commands) {
            const t0 = performance.now();
            const r = await shAsync(command, project, env[block.mode], 300_000);
            const what = `README.md:${block.line} (${block.mode}): ${command}\nstdout: ${r.out.slice(0, 2000)}\nstderr: ${r.err.slice(0, 2000)}`;
            if (block.mode === 'run') {
              expect(r.code, what).toBe(0);
              // What the command says it writes (`> F`, `--out F`) is there.
              const words = shellWords(command);
              for (let i = 0; i < words.length - 1; i++) if (words[i] === '>' || words[i] === '--out') expect(statSync(join(project, words[i + 1])).size, what).toBeGreaterThan(0);
            } else {
              expect(r.code, what).toBe(1);
              expect(r.err, what).toMatch(/is needed but downloads are off/);
            }
            console.log(`ok   ${block.mode.padEnd(7)} ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${command}`);
            ran++;
          }
        }
        expect(ran).toBeGreaterThanOrEqual(12);
        // The run blocks reached the stand-in network, each file once (then the cache).
        expect(server.count('/apple/mobileclip_s0.pt')).toBe(1);
        expect(server.count('/timm/MobileCLIP2-S0-OpenCLIP/resolve/main/open_clip_model.safetensors')).toBe(1);
        expect(JSON.parse(readFileSync(join(project, 'embeddings.json'), 'utf8')).images).toHaveLength(2);
        expect(existsSync(join(project, 'photos.index', 'manifest.json'))).toBe(true);
        // Paths the README names inside the installed package exist there.
        const shipped = [...readmeText().matchAll(/node_modules\/mobileclip-webgpu\/[\w./-]+/g)].map((m) => m[0]);
        expect(shipped.length).toBeGreaterThan(0);
        for (const path of shipped) expect(existsSync(join(project, path)), path).toBe(true);
      } finally {
        await server.close();
      }
    }, 900_000);
  });

  it('type-checks a consumer for the node and browser conditions (TypeScript 7 and 5.9, skipLibCheck off)', () => {
    writeFileSync(
      join(project, 'node-consumer.mts'),
      `import { createModelAndTransforms, readImageFile, type NodeImageInput, type Embeddings } from 'mobileclip-webgpu';
const m = await createModelAndTransforms('mobileclip_s0', { weights: 'w.safetensors', vocab: 'v.txt.gz', device: 'auto' });
const inputs: NodeImageInput[] = ['a.jpg', new URL('file:///a.png'), new Uint8Array(4), { data: new Uint8Array(3), width: 1, height: 1, channels: 3 }];
const e: Embeddings = await m.model.encodeImages(inputs);
const img = await readImageFile('a.png');
const gpu: GPUDevice | undefined = m.model.gpu?.device; // null on the CPU backend
// @ts-expect-error a Blob is a browser input
await m.model.encodeImages([new Blob([])]);
console.log(e.dim, img.mode, gpu?.label, m.model.backend.kind);
`,
    );
    writeFileSync(
      join(project, 'browser-consumer.ts'),
      `import { createModelAndTransforms, createModelInWorker, type BrowserImageInput } from 'mobileclip-webgpu';
// @ts-expect-error the browser build has no file-path readers
import { readImageFile } from 'mobileclip-webgpu';
const m = await createModelAndTransforms('mobileclip_s0', { weights: '/w.safetensors' });
const inputs: BrowserImageInput[] = [new Blob([]), new ImageData(1, 1), '/a.png', document.createElement('canvas')];
const e = await m.model.encodeImages(inputs);
const ac = new AbortController();
const hub = await createModelAndTransforms('hf-hub:timm/MobileCLIP2-S0-OpenCLIP', { signal: ac.signal, warmup: true, onProgress: (p) => console.log(p.phase, p.loaded, p.total) });
const w = await createModelInWorker('MobileCLIP2-S0', { weights: new File([], 'w.safetensors') });
const probs = await w.classify([document.createElement('img')], ['cat']);
console.log(e.dim, readImageFile, hub.model.dtype, probs[0][0].probability, w.info.adapter.f16);
`,
    );
    const common = { target: 'es2022', strict: true, skipLibCheck: false, noEmit: true };
    // @webgpu/types (TypeScript < 6) and lib.dom's WebGPU (≥ 6) both need the DOM lib, in Node too.
    writeFileSync(join(project, 'tsconfig.node.json'), JSON.stringify({ compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16', lib: ['es2022', 'dom'], types: ['node'] }, files: ['node-consumer.mts'] }));
    writeFileSync(join(project, 'tsconfig.browser.json'), JSON.stringify({ compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler', customConditions: ['browser'], lib: ['es2022', 'dom'], types: [] }, files: ['browser-consumer.ts'] }));
    // TypeScript 5.9 in a folder of its own (a second `typescript` in our devDependencies would fight over node_modules/.bin/tsc).
    const ts5 = join(dir, 'ts5');
    sh('mkdir', ['-p', ts5], dir);
    writeFileSync(join(ts5, 'package.json'), JSON.stringify({ private: true }));
    ok(sh('npm', ['install', 'typescript@5.9.3', '--prefer-offline', '--no-audit', '--no-fund'], ts5), 'npm install typescript@5.9.3');
    for (const [ts, name] of [[join(ROOT, 'node_modules/typescript/bin/tsc'), 'TypeScript 7'], [join(ts5, 'node_modules/typescript/bin/tsc'), 'TypeScript 5.9']]) {
      for (const cfg of ['tsconfig.node.json', 'tsconfig.browser.json']) {
        const r = sh(process.execPath, [ts, '-p', cfg], project);
        expect(r.code, `${name} ${cfg}: ${r.out}${r.err}`).toBe(0);
        console.log(`ok   ${name}, ${cfg}: no errors`);
      }
    }
  });

  it('bundles for the browser with esbuild from the installed package (browser condition, no Node built-ins)', async () => {
    writeFileSync(join(project, 'app.js'), `import { createModelInWorker, createModelAndTransforms } from 'mobileclip-webgpu';\nwindow.load = () => createModelInWorker('mobileclip_s0', { workerUrl: '/worker.js' });\nwindow.loadHere = createModelAndTransforms;\n`);
    const { build } = await import('esbuild');
    const out = await build({ entryPoints: [join(project, 'app.js')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent', absWorkingDir: project });
    const code = out.outputFiles[0].text;
    console.log(`an app bundling the installed package for the browser: ${(code.length / 1024).toFixed(0)} kB`);
    expect(code).not.toMatch(/from\s*["'](node:|fs|path|webgpu)["']/);
    expect(code).toContain('createModelInWorker');
    expect(code).toContain('caches.open'); // the browser build (Cache Storage), not the Node one
  });

  it('without the optional webgpu package, the CLI names the missing package (exit 1)', () => {
    rmSync(join(project, 'node_modules/webgpu'), { recursive: true, force: true });
    const r = sh('npx', ['mobileclip', 'bench', '--towers', 'text'], project);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/optional dependency `webgpu`.*npm install webgpu/);
  });
});
