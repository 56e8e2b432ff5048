// Builds the JPEG decoder, libjpeg-turbo's TurboJPEG API compiled to WebAssembly, with our own
// wasm SIMD kernels (src/preprocess/native: the IDCT and YCbCr->RGB for the decoder, Pillow's resize passes), into
// src/preprocess/jpeg-turbo.wasm (git-ignored; scripts/build.mjs copies it into dist/node, and the
// browser bundles inline it), with its licence terms beside it (jpeg-turbo.LICENSE.md). Run by
// `npm run build` and `npm test` (pretest); users of the package get the built file.
//
// Source: Debian's copy of the libjpeg-turbo 3.1.3 release tarball (the orig.tar.gz of its
// 1:3.1.3-x packages), pinned by SHA-256. Toolchain: Debian's clang, lld, wasi-libc and the wasm32
// compiler-rt builtins (scripts/install-wasm-toolchain.sh). No CMake: the three configured headers
// are written here with the values libjpeg-turbo's CMakeLists.txt gives by default (arithmetic
// coding on), less SIMD (no wasm SIMD code upstream). 8-bit samples only: the 12- and 16-bit
// modules are left out (scripts/jpeg-wasm/precision-stubs.c refuses such files by name).
//
// libjpeg reports fatal errors with longjmp. wasi-libc has no setjmp, so setjmp() is 0 and
// longjmp is an import that throws a JavaScript exception: the decode unwinds to its caller,
// which drops the instance (the C stack pointer was not restored). See src/preprocess/jpeg-turbo.ts and image-wasm.ts.
//
// The result is cached: a stamp beside the .wasm records the inputs (tarball checksum, flags,
// clang's version, this script, the stubs, our kernels); the build reruns only when one changes (under a
// minute on 2 cores).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const VERSION = '3.1.3';
const VERSION_NUMBER = '3001003';
const TARBALL = `libjpeg-turbo_${VERSION}.orig.tar.gz`;
const SHA256 = '3a13a5ba767dc8264bc40b185e41368a80d5d5f945944d1dbaa4b2fb0099f4e5';
// Debian's pool keeps an orig tarball while some suite still carries that upstream version; when it
// is gone, LIBJPEG_TURBO_TARBALL names a local copy (the checksum is checked all the same).
const URLS = [`http://deb.debian.org/debian/pool/main/libj/libjpeg-turbo/${TARBALL}`];
/** What jpeg-turbo.ts and pil-resize-wasm.ts call; everything else is stripped by the linker. */
const EXPORTS = ['malloc', 'free', 'tj3Init', 'tj3Destroy', 'tj3Set', 'tj3Get', 'tj3GetErrorStr', 'tj3DecompressHeader', 'tj3Decompress8'];
// (Our C files export their own functions by export_name: pil_resize_*, jpeg_simd_enable.)
const TARGET = ['--target=wasm32-wasi', '--sysroot=/usr'];
const CFLAGS = [...TARGET, '-Os', '-DNO_GETENV', '-DNO_PUTENV', '-w'];
// Our own kernels (src/preprocess/native: Pillow's resize passes, YCbCr->RGB, the islow IDCT) are wasm SIMD code: -msimd128
// and -O2 for them only. libjpeg-turbo itself gained nothing measurable from -O2, -O3 or clang's
// auto-vectorisation (bench:decode, session 17: within noise, 10-30 % larger), so it stays -Os.
const SIMD_CFLAGS = [...TARGET, '-O2', '-msimd128', '-Wall', '-Werror'];
// libjpeg-turbo's Neon code through SIMDe: optimised (SIMDe's wrappers must inline), its own warnings off like the rest.
const NEON_CFLAGS = [...TARGET, '-O2', '-msimd128', '-DNO_GETENV', '-DNO_PUTENV', '-w'];
// No -O at link time: with it, clang runs binaryen's wasm-opt whenever one is on the PATH, so the
// output would depend on what else is installed.
const LDFLAGS = [...TARGET, '-mexec-model=reactor', '-Wl,--strip-all', ...EXPORTS.map((e) => `-Wl,--export=${e}`)];

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = `${root}.cache/libjpeg-turbo/`;
const out = `${root}src/preprocess/jpeg-turbo.wasm`;
const licence = `${root}src/preprocess/jpeg-turbo.LICENSE.md`;
const stampFile = `${out}.stamp`;
/** The test-only module with the encoder (see step 3). */
const codec = `${cache}jpeg-turbo-codec.wasm`;
const stubs = fileURLToPath(new URL('jpeg-wasm/precision-stubs.c', import.meta.url));
/** Our kernels linked into the same module (exported by their export_name attributes). */
const ownSources = ['pil-resize.c', 'ycc-rgb.c', 'idct-islow.c'].map((f) => `${root}src/preprocess/native/${f}`);
/** libjpeg-turbo's Neon fancy upsampling and our dispatch for it (why only that: jpeg-wasm/jsimd-wasm.c). */
const neonSources = ['jdsample-neon.c'];
const jsimd = fileURLToPath(new URL('jpeg-wasm/jsimd-wasm.c', import.meta.url));
// SIMDe (Debian's libsimde-dev, header-only) maps the Neon intrinsics to wasm simd128: its version
// and headers are inputs of the build.
const simdeDir = process.env.SIMDE_INCLUDE ?? '/usr/include/simde';
if (!existsSync(`${simdeDir}/arm/neon.h`)) fail(`${simdeDir}/arm/neon.h not found: install libsimde-dev (scripts/install-wasm-toolchain.sh)`);
const simdeVersion = ['MAJOR', 'MINOR', 'MICRO'].map((k) => new RegExp(`#define SIMDE_VERSION_${k} (\\d+)`).exec(readFileSync(`${simdeDir}/simde-common.h`, 'utf8'))?.[1]).join('.');
const simdeHash = createHash('sha256');
for (const f of readdirSync(simdeDir, { recursive: true }).map(String).sort()) if (statSync(`${simdeDir}/${f}`).isFile()) simdeHash.update(f).update(readFileSync(`${simdeDir}/${f}`));
const clang = process.env.CLANG ?? 'clang';
let clangVersion = '';
try {
  clangVersion = execFileSync(clang, ['--version'], { encoding: 'utf8' }).split('\n')[0];
} catch {
  fail(`${clang} not found: the JPEG decoder is built with clang, lld and wasi-libc (run scripts/install-wasm-toolchain.sh)`);
}
const stamp = createHash('sha256')
  .update(JSON.stringify({ SHA256, CFLAGS, SIMD_CFLAGS, NEON_CFLAGS, LDFLAGS, clangVersion, simdeVersion, simde: simdeHash.digest('hex') }))
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .update(readFileSync(stubs))
  .update(readFileSync(jsimd))
  .update(ownSources.map((f) => readFileSync(f, 'utf8')).join('\0'))
  .digest('hex');
if (existsSync(out) && existsSync(codec) && existsSync(licence) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) process.exit(0);

// 1. The source tarball, checked.
mkdirSync(cache, { recursive: true });
const tarball = process.env.LIBJPEG_TURBO_TARBALL ?? `${cache}${TARBALL}`;
if (!existsSync(tarball) || sha256(tarball) !== SHA256) {
  if (process.env.LIBJPEG_TURBO_TARBALL) fail(`${tarball}: SHA-256 is not ${SHA256}`);
  let got = false;
  for (const url of URLS) {
    const res = await fetch(url).catch((e) => ({ ok: false, status: String(e) }));
    if (!res.ok) {
      console.error(`libjpeg-turbo: ${url}: ${res.status}`);
      continue;
    }
    writeFileSync(tarball, Buffer.from(await res.arrayBuffer()));
    got = sha256(tarball) === SHA256;
    if (got) break;
    console.error(`libjpeg-turbo: ${url}: SHA-256 mismatch`);
  }
  if (!got) fail(`could not get ${TARBALL} with SHA-256 ${SHA256} (set LIBJPEG_TURBO_TARBALL to a local copy)`);
}
const srcRoot = `${cache}libjpeg-turbo-${VERSION}/`;
rmSync(srcRoot, { recursive: true, force: true });
execFileSync('tar', ['xzf', tarball, '-C', cache]);
const src = `${srcRoot}src/`;

// 2. The configured headers (CMake's configure_file of jconfig.h.in, jconfigint.h.in, jversion.h.in).
const gen = `${cache}gen/`;
rmSync(gen, { recursive: true, force: true });
mkdirSync(gen);
const configure = (name, values) => {
  let text = readFileSync(`${src}${name}.in`, 'utf8');
  text = text.replace(/^#cmakedefine (\w+)(.*)$/gm, (_, k, v) => (k in values ? `#define ${k}${v || ''}` : `/* #undef ${k} */`));
  text = text.replace(/@(\w+)@/g, (_, k) => {
    if (!(k in values)) fail(`${name}.in: no value for @${k}@`);
    return values[k];
  });
  writeFileSync(`${gen}${name}`, text);
};
configure('jconfig.h', { JPEG_LIB_VERSION: '62', VERSION, LIBJPEG_TURBO_VERSION_NUMBER: VERSION_NUMBER, C_ARITH_CODING_SUPPORTED: '', D_ARITH_CODING_SUPPORTED: '', WITH_SIMD: '' });
configure('jconfigint.h', {
  BUILD: 'wasm', HIDDEN: '__attribute__((visibility("hidden")))', INLINE: '__inline__ __attribute__((always_inline))',
  THREAD_LOCAL: '', CMAKE_PROJECT_NAME: 'libjpeg-turbo', VERSION, SIZE_T: '4', HAVE_BUILTIN_CTZL: '',
  C_ARITH_CODING_SUPPORTED: '', D_ARITH_CODING_SUPPORTED: '', WITH_SIMD: '',
});
// The Neon code's configured header (none of the optional loads: its portable fallbacks are used),
// and <arm_neon.h> as SIMDe's Neon on wasm simd128.
const neonCompat = readFileSync(`${srcRoot}simd/arm/neon-compat.h.in`, 'utf8');
writeFileSync(`${gen}neon-compat.h`, neonCompat.replace(/^#cmakedefine (\w+)$/gm, '/* #undef $1 */'));
if (/#cmakedefine|@\w+@/.test(readFileSync(`${gen}neon-compat.h`, 'utf8'))) fail('neon-compat.h.in: unexpected template lines');
writeFileSync(`${gen}arm_neon.h`, '/* libjpeg-turbo\'s Neon intrinsics on wasm simd128, through SIMDe. */\n#pragma once\n#define SIMDE_ENABLE_NATIVE_ALIASES\n#include <simde/arm/neon.h>\n');
configure('jversion.h', { COPYRIGHT_YEAR: '1991-2025' });
writeFileSync(
  `${gen}setjmp.h`,
  '/* wasi-libc has no setjmp: an error unwinds as a JavaScript exception thrown by the imported longjmp. */\n' +
    '#pragma once\ntypedef int jmp_buf[1];\n#define setjmp(env) 0\n' +
    '__attribute__((import_module("env"), import_name("longjmp"), noreturn)) void longjmp(jmp_buf env, int val);\n',
);

// 3. Compile: upstream's TURBOJPEG_SOURCES (CMakeLists.txt) without the BMP/PPM file I/O and
// without the 12- and 16-bit sample modules (jpeg-wasm/precision-stubs.c refuses those files).
const cmake = readFileSync(`${srcRoot}CMakeLists.txt`, 'utf8');
const jpegSources = /set\(JPEG_SOURCES ([^)]*)\)/.exec(cmake)?.[1].split(/\s+/).filter(Boolean);
if (!jpegSources || !jpegSources.includes('src/jdapimin.c')) fail('CMakeLists.txt: JPEG_SOURCES not found');
const sources = [...jpegSources.filter((s) => !/-(12|16)\.c$/.test(s)), 'src/jaricom.c', 'src/jcarith.c', 'src/jdarith.c', 'src/turbojpeg.c', 'src/transupp.c', 'src/jdatadst-tj.c', 'src/jdatasrc-tj.c']
  .map((s) => `${srcRoot}${s}`)
  .concat(stubs, ownSources, neonSources.map((s) => `${srcRoot}simd/arm/${s}`), jsimd);
const obj = `${cache}obj/`;
rmSync(obj, { recursive: true, force: true });
mkdirSync(obj);
const started = Date.now();
const objects = sources.map((s, i) => `${obj}${i}-${s.split('/').at(-1)}.o`);
let next = 0;
await Promise.all(
  Array.from({ length: Math.max(1, availableParallelism()) }, async () => {
    while (next < sources.length) {
      const i = next++;
      const own = ownSources.includes(sources[i]);
      const neon = !own && (sources[i] === jsimd || sources[i].includes('/simd/arm/'));
      const flags = own ? SIMD_CFLAGS : neon ? [...NEON_CFLAGS, `-I${gen}`, `-I${src}`, `-I${srcRoot}`] : [...CFLAGS, `-I${gen}`, `-I${src}`];
      await run(clang, [...flags, '-c', sources[i], '-o', objects[i]]);
    }
  }),
);
await run(clang, [...LDFLAGS, ...objects, '-o', out]);
// For tests and benchmarks only (never shipped): the same objects with the encoder exported too, to
// make JPEGs of every subsampling and mode (test/preprocess/jpeg-simd.test.ts, bench/decode.ts).
await run(clang, [...LDFLAGS, ...['tj3Compress8', 'tj3Free'].map((e) => `-Wl,--export=${e}`), ...objects, '-o', codec]);

// 4. The imports are the contract with image-wasm.ts: anything beyond these is a build error.
const allowed = new Set(['env.longjmp', 'wasi_snapshot_preview1.fd_close', 'wasi_snapshot_preview1.fd_seek', 'wasi_snapshot_preview1.fd_write', 'wasi_snapshot_preview1.proc_exit']);
for (const file of [out, codec]) {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(file))).map((i) => `${i.module}.${i.name}`);
  const extra = imports.filter((i) => !allowed.has(i));
  if (extra.length) fail(`${file} imports ${extra.join(', ')}: image-wasm.ts provides only ${[...allowed].join(', ')}`);
}
// 5. The licence terms the binary ships under (libjpeg-turbo's LICENSE.md and the IJG licence it
// points to, README.ijg's LEGAL ISSUES); scripts/build.mjs copies this into dist/licenses.
const ijg = readFileSync(`${srcRoot}README.ijg`, 'utf8');
const legal = /^LEGAL ISSUES\n=+\n[\s\S]*?(?=^[A-Z][A-Z ]+\n=+\n)/m.exec(ijg)?.[0];
if (!legal) fail('README.ijg: no LEGAL ISSUES section');
writeFileSync(
  licence,
  `The JPEG decoder (jpeg-turbo.wasm, also inlined in the browser bundles) is libjpeg-turbo ${VERSION}\n` +
    `compiled to WebAssembly. This software is based in part on the work of the Independent JPEG Group.\n\n` +
    `${readFileSync(`${srcRoot}LICENSE.md`, 'utf8')}\n\nFrom README.ijg:\n\n${legal}`,
);
writeFileSync(stampFile, stamp);
console.error(`libjpeg-turbo ${VERSION}: ${out} ${statSync(out).size} bytes, ${sources.length} files in ${((Date.now() - started) / 1000).toFixed(0)} s (${clangVersion})`);

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.at(-3) ?? ''} ${args.at(-1)}: exit ${code}`))));
  });
}

function fail(message) {
  console.error(`build-jpeg-wasm: ${message}`);
  process.exit(1);
}
