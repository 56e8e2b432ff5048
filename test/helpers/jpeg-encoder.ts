/**
 * A JPEG encoder for tests and benchmarks: libjpeg-turbo's tj3Compress8 in the test-only module
 * scripts/build-jpeg-wasm.mjs links beside the decoder (.cache/libjpeg-turbo/jpeg-turbo-codec.wasm,
 * never shipped), so JPEGs of every subsampling and mode are made here without a system encoder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CODEC = fileURLToPath(new URL('../../.cache/libjpeg-turbo/jpeg-turbo-codec.wasm', import.meta.url));

// turbojpeg.h's enumerations.
const TJINIT_COMPRESS = 0;
const TJPARAM = { quality: 3, subsamp: 4, progressive: 12, arithmetic: 14, restartBlocks: 18 } as const;
const TJPF_RGB = 0;
const TJPF_GRAY = 6;
export const TJSAMP = { '4:4:4': 0, '4:2:2': 1, '4:2:0': 2, gray: 3, '4:4:0': 4, '4:1:1': 5, '4:4:1': 6 } as const;

export interface EncodeOptions {
  subsampling: keyof typeof TJSAMP;
  quality?: number;
  progressive?: boolean;
  arithmetic?: boolean;
  /** Restart markers every this many MCUs. */
  restartBlocks?: number;
}

interface Codec {
  memory: WebAssembly.Memory;
  _initialize(): void;
  malloc(n: number): number;
  free(p: number): void;
  tj3Init(t: number): number;
  tj3Set(h: number, p: number, v: number): number;
  tj3Destroy(h: number): void;
  tj3GetErrorStr(h: number): number;
  tj3Compress8(h: number, src: number, w: number, pitch: number, height: number, pf: number, jpegBuf: number, jpegSize: number): number;
  tj3Free(p: number): void;
}

let codec: Codec | null = null;

function load(): Codec {
  if (codec) return codec;
  if (!existsSync(CODEC)) throw new Error(`${CODEC} not found: run node scripts/build-jpeg-wasm.mjs (npm run pretest)`);
  const fail = (what: string) => () => {
    throw new Error(`jpeg-turbo-codec.wasm called ${what}`);
  };
  const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(CODEC)), {
    env: { longjmp: fail('longjmp (a libjpeg error)') },
    wasi_snapshot_preview1: { proc_exit: fail('proc_exit'), fd_close: fail('fd_close'), fd_seek: fail('fd_seek'), fd_write: fail('fd_write') },
  });
  const ex = inst.exports as unknown as Codec;
  ex._initialize();
  codec = ex;
  return ex;
}

/** Encodes HWC pixels (3 bands, or 1 for 'gray' subsampling) to a JPEG. */
export function encodeJpeg(pixels: Uint8Array, width: number, height: number, o: EncodeOptions): Uint8Array {
  const ex = load();
  const bands = o.subsampling === 'gray' ? 1 : 3;
  if (pixels.length !== width * height * bands) throw new RangeError(`encodeJpeg: ${pixels.length} bytes for ${width}×${height}×${bands}`);
  const h = ex.tj3Init(TJINIT_COMPRESS);
  const src = ex.malloc(pixels.length);
  const out = ex.malloc(8); // jpegBuf pointer, then jpegSize
  try {
    new Uint8Array(ex.memory.buffer, src, pixels.length).set(pixels);
    new Uint32Array(ex.memory.buffer, out, 2).fill(0);
    const set = (p: number, v: number) => {
      if (ex.tj3Set(h, p, v) !== 0) throw new Error(`tj3Set(${p}, ${v}) failed`);
    };
    set(TJPARAM.quality, o.quality ?? 90);
    set(TJPARAM.subsamp, TJSAMP[o.subsampling]);
    set(TJPARAM.progressive, o.progressive ? 1 : 0);
    set(TJPARAM.arithmetic, o.arithmetic ? 1 : 0);
    if (o.restartBlocks) set(TJPARAM.restartBlocks, o.restartBlocks);
    if (ex.tj3Compress8(h, src, width, 0, height, bands === 1 ? TJPF_GRAY : TJPF_RGB, out, out + 4) !== 0) {
      const p = ex.tj3GetErrorStr(h);
      const bytes = new Uint8Array(ex.memory.buffer, p, 200);
      throw new Error(`tj3Compress8: ${new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)))}`);
    }
    const [buf, size] = new Uint32Array(ex.memory.buffer, out, 2);
    const jpeg = new Uint8Array(ex.memory.buffer, buf, size).slice();
    ex.tj3Free(buf);
    return jpeg;
  } finally {
    ex.free(src);
    ex.free(out);
    ex.tj3Destroy(h);
  }
}
