/** Corrupt and hostile checkpoints: each gets its own clear error, at once, with no crash or hang. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { PickleWriter, storedZip, type ZipEntryOptions } from '../helpers/torch-writer.js';
import { readCheckpoint } from '../../src/io/checkpoint.js';
import { SafetensorsFile, writeSafetensors } from '../../src/io/safetensors.js';
import { toFloat32, float32Tensor, type StateDict } from '../../src/io/host-tensor.js';
import { crc32 } from '../../src/io/zip.js';

const enc = new TextEncoder();

function safetensorsWithHeader(header: unknown, dataBytes: number, headerLenOverride?: bigint): Uint8Array {
  const json = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, headerLenOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('safetensors: bad files', () => {
  const good = writeSafetensors(new Map([['w', float32Tensor(Float32Array.of(1, 2, 3, 4), [2, 2])]]));

  it('round-trips through the writer', () => {
    const f = SafetensorsFile.parse(good, 'good');
    expect(Array.from(f.float32('w'))).toEqual([1, 2, 3, 4]);
    expect(f.metadata).toEqual({ format: 'pt' });
  });
  it('truncated file', () => {
    expect(() => SafetensorsFile.parse(good.subarray(0, good.length - 3), 'cut.safetensors')).toThrow(/cut\.safetensors: tensor "w".*truncated/);
    expect(() => SafetensorsFile.parse(good.subarray(0, 5), 'tiny')).toThrow(/truncated file: 5 bytes/);
  });
  it('header length past the end, and a huge header length', () => {
    const bad = good.slice();
    new DataView(bad.buffer).setBigUint64(0, 1n << 60n, true);
    expect(() => SafetensorsFile.parse(bad, 'huge')).toThrow(/header length 1152921504606846976 runs past the end/);
  });
  it('bit-flipped header (invalid JSON)', () => {
    const bad = good.slice();
    bad[8] ^= 0x40; // '{' becomes ';'
    expect(() => SafetensorsFile.parse(bad, 'flip')).toThrow(/flip: invalid JSON header/);
  });
  it('unknown dtype, bad shape, size mismatch, offsets out of range, overlap, duplicates', () => {
    const t = (h: unknown, n: number) => () => SafetensorsFile.parse(safetensorsWithHeader(h, n), 'x');
    expect(t({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, 1)).toThrow(/tensor "a": unknown dtype "F8"/);
    expect(t({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4)).toThrow(/tensor "a": invalid shape/);
    expect(t({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)).toThrow(/tensor "a": 8 bytes of data but F32 \[3\] needs 12/);
    expect(t({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8)).toThrow(/tensor "a": data_offsets \[0, 16\] run past the end/);
    expect(t({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12)).toThrow(/"a" and "b" overlap/);
    const dup = enc.encode('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}');
    const bytes = new Uint8Array(8 + dup.length + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(dup.length), true);
    bytes.set(dup, 8);
    expect(() => SafetensorsFile.parse(bytes, 'dup')).toThrow(/duplicate tensor name "a"/);
    // Names spelled with escapes: the same name twice (\u0022 is a quote), a backslash before a
    // closing quote, and nested keys that repeat a top-level name (not duplicates).
    const header = (text: string) => {
      const h = enc.encode(text);
      const b = new Uint8Array(8 + h.length + 8);
      new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
      b.set(h, 8);
      return b;
    };
    const entry = (at: number) => `{"dtype":"F32","shape":[1],"data_offsets":[${at},${at + 4}]}`;
    expect(() => SafetensorsFile.parse(header(`{"q\\"x":${entry(0)}, "q\\u0022x" :${entry(4)}}`), 'esc')).toThrow(/duplicate tensor name "q"x"/);
    expect(() => SafetensorsFile.parse(header(`{"b\\\\":${entry(0)},"b\\\\" :${entry(4)}}`), 'bs')).toThrow(/duplicate tensor name "b\\"/);
    expect(SafetensorsFile.parse(header(`{"__metadata__":{"dtype":"x","w\\\\":"[{"},"dtype":${entry(0)},"w\\\\":${entry(4)}}`), 'nest').names).toEqual(['dtype', 'w\\']);
  });
  it('asking for a float from an integer tensor names the dtype', () => {
    const f = SafetensorsFile.parse(writeSafetensors(new Map([['n', { dtype: 'I64', shape: [], data: new Uint8Array(8) }]])), 'i');
    expect(() => f.float32('n')).toThrow(/"n" is I64 \[\], not a floating-point tensor/);
  });
});

describe('PyTorch .pt: hostile and odd files', () => {
  it('a pickle that asks for os.system is refused, naming the global, and nothing runs', () => {
    const pkl = new PickleWriter().global('os', 'system').str('touch /tmp/pwned').op(0x85).reduce().finish();
    const file = storedZip([['evil/data.pkl', pkl], ['evil/version', enc.encode('3\n')]]);
    expect(() => readCheckpoint(file, 'evil.pt')).toThrow(/refusing unsupported global os\.system/);
  });
  it('other unknown globals and opcodes are refused', () => {
    const pkl = new PickleWriter().global('builtins', 'eval').finish();
    expect(() => readCheckpoint(storedZip([['m/data.pkl', pkl]]), 'e.pt')).toThrow(/unsupported global builtins\.eval/);
    const inst = Uint8Array.from([0x80, 0x02, 0x69, ...enc.encode('os\nsystem\n'), 0x2e]); // INST
    expect(() => readCheckpoint(storedZip([['m/data.pkl', inst]]), 'i.pt')).toThrow(/unsupported pickle opcode 0x69/);
  });
  it('the legacy (non-zip) format gets a re-save hint', () => {
    const legacy = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    expect(() => readCheckpoint(legacy, 'old.pt')).toThrow(/legacy.*re-save it with a recent torch/);
  });
  it('a truncated archive and a non-checkpoint', () => {
    const real = haveFixtures() ? new Uint8Array(readFileSync(fixturePath('mci-tiny', 'model.pt'))) : storedZip([['m/data.pkl', new PickleWriter().op(0x7d).finish()]]);
    expect(() => readCheckpoint(real.subarray(0, real.length >> 1), 'half.pt')).toThrow(/half\.pt: .*(truncated|end-of-central-directory)/);
    expect(() => readCheckpoint(enc.encode('hello, I am a text file'), 'notes.txt')).toThrow(/notes\.txt: not a checkpoint/);
  });
  it('a corrupted pickle (CRC mismatch) is reported', () => {
    const pkl = new PickleWriter().op(0x7d).finish();
    const zip = storedZip([['m/data.pkl', pkl]]);
    const at = zip.indexOf(0x7d, 30);
    zip[at] = 0x5d; // flip the dict opcode inside the stored entry
    expect(() => readCheckpoint(zip, 'crc.pt')).toThrow(/CRC mismatch/);
  });
  it('honours storage offsets and strides: two tensors sharing one storage, one of them transposed', () => {
    const storage = Float32Array.from({ length: 10 }, (_, i) => i);
    const w = new PickleWriter().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
    w.str('a').tensor('FloatStorage', '0', 10, 1, [2, 3], [3, 1]); // rows [1,2,3], [4,5,6]
    w.str('b').tensor('FloatStorage', '0', 10, 2, [3, 2], [1, 3]); // transpose of [[2,3,4],[5,6,7]]
    w.str('s').tensor('FloatStorage', '0', 10, 9, [], []); // a 0-dim view of the last element
    w.op(0x75); // SETITEMS
    const zip = storedZip([['shared/data.pkl', w.finish()], ['shared/data/0', new Uint8Array(storage.buffer)]]);
    const sd: StateDict = readCheckpoint(zip, 'shared.pt').stateDict;
    expect(Array.from(toFloat32(sd.get('a')!))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(toFloat32(sd.get('b')!))).toEqual([2, 5, 3, 6, 4, 7]);
    expect(sd.get('s')!.shape).toEqual([]);
    expect(Array.from(toFloat32(sd.get('s')!))).toEqual([9]);
  });
  it('a tensor reaching outside its storage is an error, not a read of other memory', () => {
    const w = new PickleWriter().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
    w.str('a').tensor('FloatStorage', '0', 4, 2, [4], [1]).op(0x75);
    const zip = storedZip([['m/data.pkl', w.finish()], ['m/data/0', new Uint8Array(16)]]);
    expect(() => readCheckpoint(zip, 'oob.pt')).toThrow(/reads outside its storage of 4 elements/);
  });
  it('a missing storage entry is named', () => {
    const w = new PickleWriter().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
    w.str('a').tensor('FloatStorage', '7', 4, 0, [4], [1]).op(0x75);
    expect(() => readCheckpoint(storedZip([['m/data.pkl', w.finish()]]), 'nostorage.pt')).toThrow(/storage m\/data\/7 is missing/);
  });
});

/** A one-tensor state dict {"w": FloatStorage "0" of `numel` elements viewed as size/stride}. */
function oneTensor(numel: number, size: number[], stride: number[], offset = 0): Uint8Array {
  const w = new PickleWriter().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  return w.str('w').tensor('FloatStorage', '0', numel, offset, size, stride).op(0x75).finish();
}
const ptWith = (pkl: Uint8Array, storage: Uint8Array, o?: ZipEntryOptions) => storedZip([['m/data.pkl', pkl], ['m/data/0', storage, o]]);

describe('PyTorch .pt: what a file may make the reader allocate', () => {
  it('a stride-0 [16384, 16384] view of one float (1 GiB from a tiny file) is refused at once, naming file and tensor', () => {
    const file = ptWith(oneTensor(1, [16384, 16384], [0, 0]), new Uint8Array(4));
    expect(file.length).toBeLessThan(1000);
    const t0 = performance.now();
    expect(() => readCheckpoint(file, 'expand.pt')).toThrow(
      /expand\.pt: tensor "w" \[16384, 16384\] with strides \[0, 0\] would materialise 1073741824 bytes from a file whose storages hold 4: over 4× the storages .*allowExpandedTensors \(--allow-expanded-tensors\)/,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
  });
  it('small expanded views load (within 4× + 1 MiB), and larger ones with the opt-in, with every element right', () => {
    const small = readCheckpoint(ptWith(oneTensor(1, [77, 3], [0, 0]), new Uint8Array(Float32Array.of(2.5).buffer)), 'small.pt').stateDict.get('w')!;
    expect(toFloat32(small)).toEqual(new Float32Array(231).fill(2.5));
    const big = ptWith(oneTensor(3, [1024, 512, 3], [0, 0, 1]), new Uint8Array(Float32Array.of(1, 2, 3).buffer));
    expect(() => readCheckpoint(big, 'big.pt')).toThrow(/big\.pt: tensor "w" .* would materialise 6291456 bytes/);
    const w = toFloat32(readCheckpoint(big, 'big.pt', { allowExpandedTensors: true }).stateDict.get('w')!);
    expect(w.length).toBe(1024 * 512 * 3);
    expect([w[0], w[1], w[2], w[w.length - 3], w[w.length - 1]]).toEqual([1, 2, 3, 1, 3]);
  });
  it('shapes, strides and offsets must be non-negative integers', () => {
    const storage = new Uint8Array(64);
    expect(() => readCheckpoint(ptWith(oneTensor(16, [2.5], [1]), storage), 'frac.pt')).toThrow(/frac\.pt: .*impossible tensor geometry: size \(2\.5\), stride \(1\), offset 0/);
    expect(() => readCheckpoint(ptWith(oneTensor(16, [-2, -2], [2, 1]), storage), 'neg.pt')).toThrow(/neg\.pt: .*impossible tensor geometry: size \(-2, -2\)/);
    expect(() => readCheckpoint(ptWith(oneTensor(16, [4], [-1], 3), storage), 'negstride.pt')).toThrow(/impossible tensor geometry: size \(4\), stride \(-1\)/);
    expect(() => readCheckpoint(ptWith(oneTensor(16, [4], [1], -1), storage), 'negoff.pt')).toThrow(/impossible tensor geometry: .*offset -1/);
  });
  it('a tensor reaching outside its storage names the tensor', () => {
    expect(() => readCheckpoint(ptWith(oneTensor(4, [4], [1], 2), new Uint8Array(16)), 'oob.pt')).toThrow(/oob\.pt: tensor "w" \[4\] with offset 2 and strides \[1\] reads outside its storage of 4 elements/);
  });
  it("a storage entry whose size is not the pickle's numel × dtype is refused", () => {
    expect(() => readCheckpoint(ptWith(oneTensor(5, [5], [1]), new Uint8Array(16)), 'short.pt')).toThrow(/short\.pt: storage m\/data\/0 holds 16 bytes, the pickle declares 5 × F32 = 20/);
    expect(() => readCheckpoint(ptWith(oneTensor(2, [2], [1]), new Uint8Array(16)), 'long.pt')).toThrow(/holds 16 bytes, the pickle declares 2 × F32 = 8/);
  });
  it('a flipped bit inside a storage is a CRC error naming the entry', () => {
    const file = ptWith(oneTensor(4, [4], [1]), new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer));
    const one = [0x00, 0x00, 0x80, 0x3f]; // 1.0f, the storage's first element
    const at = file.findIndex((_, i) => one.every((b, k) => file[i + k] === b));
    expect(at).toBeGreaterThan(0);
    file[at + 2] ^= 1;
    expect(() => readCheckpoint(file, 'flip.pt')).toThrow(/flip\.pt: entry "m\/data\/0": CRC mismatch/);
  });
  it('a deflated storage declaring more than deflate can produce is refused before inflating; an honest one loads', () => {
    const floats = new Float32Array(4096).fill(0.5);
    const honest = readCheckpoint(ptWith(oneTensor(4096, [4096], [1]), new Uint8Array(floats.buffer), { deflate: true }), 'ok.pt').stateDict.get('w')!;
    expect(toFloat32(honest)).toEqual(floats);
    const bomb = ptWith(oneTensor(402653184, [8], [1]), new Uint8Array(64), { deflate: true, declaredSize: 1610612736 });
    const t0 = performance.now();
    expect(() => readCheckpoint(bomb, 'bomb.pt')).toThrow(/bomb\.pt: entry "m\/data\/0" declares 1610612736 bytes from \d+ compressed, more than deflate can produce/);
    expect(performance.now() - t0).toBeLessThan(1000);
    // Declared equal to the pickle's storage but the stream holds less: a size error, not a silent short tensor.
    const liar = ptWith(oneTensor(64, [64], [1]), new Uint8Array(64), { deflate: true, declaredSize: 256 });
    expect(() => readCheckpoint(liar, 'liar.pt')).toThrow(/liar\.pt: entry "m\/data\/0": 64 bytes, directory says 256/);
  });
});

describe('PyTorch .pt: a huge deflated storage of which the tensors use a little', () => {
  it('64 MiB of deflated zeros viewed as 8 floats: inflated only 32 bytes far (CRC still checked over all), memory flat', () => {
    const storageBytes = 64 << 20;
    const plain = new Uint8Array(storageBytes);
    plain.set(new Uint8Array(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8).buffer));
    const file = ptWith(oneTensor(storageBytes / 4, [2, 4], [4, 1]), plain, { deflate: true });
    expect(file.length).toBeLessThan(200_000);
    // What the read keeps, garbage collected before and after: the inflate's passing chunks are
    // garbage whose collection time is V8's (sampling during a synchronous read saw only that).
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'the memory check needs --expose-gc (vitest.config.ts passes it)').toBeTypeOf('function');
    gc!();
    const before = process.memoryUsage().arrayBuffers;
    const w = readCheckpoint(file, 'sparse.pt').stateDict.get('w')!;
    gc!();
    const kept = process.memoryUsage().arrayBuffers - before;
    expect(Array.from(toFloat32(w))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(w.data.byteLength).toBe(32);
    console.log(`array-buffer memory kept by the read: ${(kept / 2 ** 20).toFixed(1)} MiB for a ${storageBytes / 2 ** 20} MiB storage`);
    expect(kept).toBeLessThan(16 << 20);
    // The CRC covers the whole stream: a flipped bit far past the used prefix is still caught.
    // As if corrupted in transit: the directory keeps the original CRC.
    const corrupted = plain.map((x, i) => (i === storageBytes - 5 ? 1 : x));
    const flipped = ptWith(oneTensor(storageBytes / 4, [2, 4], [4, 1]), corrupted, { deflate: true, crc: crc32(plain) });
    expect(() => readCheckpoint(flipped, 'flipped.pt')).toThrow(/flipped\.pt: entry "m\/data\/0": CRC mismatch/);
  });
});

describe('pickles: deep, huge and malformed', () => {
  const pt = (pkl: Uint8Array) => storedZip([['m/data.pkl', pkl]]);
  it('invalid UTF-8 in a string names the file', () => {
    const bad = Uint8Array.from([0x80, 0x02, 0x58, 2, 0, 0, 0, 0xc3, 0x28, 0x2e]);
    expect(() => readCheckpoint(pt(bad), 'utf.pt')).toThrow(/utf\.pt: m\/data\.pkl: a string is not valid UTF-8 \(at byte 2\)/);
  });
  it('5 M APPENDS (a 10 MB list) is a clear "not a state dict", not a JS stack overflow', () => {
    const n = 5_000_000;
    const b = new Uint8Array(n * 2 + 6);
    b.set([0x80, 0x02, 0x5d, 0x28]);
    for (let i = 0; i < n; i++) (b[4 + 2 * i] = 0x4b), (b[5 + 2 * i] = 7); // BININT1 7
    b.set([0x65, 0x2e], 4 + 2 * n); // APPENDS STOP
    expect(() => readCheckpoint(pt(b), 'appends.pt')).toThrow(/appends\.pt: the pickle does not hold a state dict/);
  });
  it('1 M nested lists (deep) and 2 M open MARKs are clear errors', () => {
    const deep = new Uint8Array(2 + 2_000_000 + 1_000_000 + 1);
    deep.set([0x80, 0x02]);
    let p = 2;
    for (let i = 0; i < 1_000_000; i++) (deep[p++] = 0x5d), (deep[p++] = 0x28); // EMPTY_LIST MARK …
    for (let i = 0; i < 1_000_000; i++) deep[p++] = 0x65; // … APPENDS: each list inside the previous one
    deep[p] = 0x2e;
    expect(() => readCheckpoint(pt(deep), 'deep.pt')).toThrow(/deep\.pt: the pickle does not hold a state dict/);
    const marks = new Uint8Array(2_000_003).fill(0x28);
    marks.set([0x80, 0x02]);
    marks[marks.length - 1] = 0x2e;
    expect(() => readCheckpoint(pt(marks), 'marks.pt')).toThrow(/marks\.pt: m\/data\.pkl: STOP with 2000000 items on the stack/);
  });
  it('more than 20 M opcodes is a PickleError, not unbounded memory', () => {
    const n = 10_000_001;
    const b = new Uint8Array(3 + 2 * n + 1);
    b.set([0x80, 0x02, 0x5d]);
    for (let i = 0; i < n; i++) (b[3 + 2 * i] = 0x4e), (b[4 + 2 * i] = 0x61); // NONE APPEND
    b[b.length - 1] = 0x2e;
    expect(() => readCheckpoint(pt(b), 'huge.pt')).toThrow(/huge\.pt: m\/data\.pkl: more than 20000000 opcodes/);
  });
  it('a negative string length is refused (no backwards read)', () => {
    const neg = Uint8Array.from([0x80, 0x02, 0x54, 0xfe, 0xff, 0xff, 0xff, 0x2e]);
    expect(() => readCheckpoint(pt(neg), 'neg.pt')).toThrow(/neg\.pt: m\/data\.pkl: negative string length -2/);
  });
  it('a storage size that is not a non-negative integer is refused', () => {
    const w = new PickleWriter().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
    w.str('w').tensor('FloatStorage', '0', -4, 0, [1], [1]).op(0x75);
    expect(() => readCheckpoint(pt(w.finish()), 'negsize.pt')).toThrow(/negsize\.pt: malformed storage reference \(key "0", size -4\)/);
  });
});
