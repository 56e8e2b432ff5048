/** Corrupt and hostile checkpoints: each gets its own clear error, at once, with no crash or hang. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { PickleWriter, storedZip } from '../helpers/torch-writer.js';
import { readCheckpoint } from '../../src/io/checkpoint.js';
import { SafetensorsFile, writeSafetensors } from '../../src/io/safetensors.js';
import { toFloat32, float32Tensor, type StateDict } from '../../src/io/host-tensor.js';

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
