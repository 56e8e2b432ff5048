/**
 * PyTorch `.pt` checkpoints (torch.save's zip format): `<root>/data.pkl` holds the state dict as a
 * pickle whose tensors point at storages `<root>/data/<key>`; `<root>` can be any name. Tensors are
 * rebuilt from (storage, offset, size, stride) with our safe unpickler; contiguous ones are views
 * into the file, strided ones are gathered. The legacy (pre-1.6, non-zip) format is refused.
 */
import { fmtShape, numel } from '../gpu/shape.js';
import { STORED_BYTES, type HostTensor, type StateDict, type StoredDType } from './host-tensor.js';
import { PickleError, unpickle } from './pickle.js';
import { ZipArchive, isZip } from './zip.js';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const STORAGE_DTYPES: Record<string, StoredDType> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const ORDERED_DICT = 'collections.OrderedDict';

const ALLOWED_GLOBALS = new Set([REBUILD_TENSOR, REBUILD_PARAMETER, ORDERED_DICT, ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`)]);

interface Storage {
  key: string;
  dtype: StoredDType;
  numel: number;
}

/** The pickle's first bytes in torch's legacy format: a pickled magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export function isLegacyTorchFile(b: Uint8Array): boolean {
  return LEGACY_MAGIC.every((v, i) => b[i] === v);
}

export function readPytorch(bytes: Uint8Array, source = 'checkpoint.pt'): StateDict {
  if (isLegacyTorchFile(bytes)) {
    throw new CheckpointError(`${source}: this is PyTorch's legacy (pre-1.6) serialization format; re-save it with a recent torch: torch.save(torch.load(f), out)`);
  }
  if (!isZip(bytes)) throw new CheckpointError(`${source}: not a PyTorch zip checkpoint (no ZIP signature)`);
  const zip = new ZipArchive(bytes, source);
  const pkl = [...zip.entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new CheckpointError(`${source}: no <name>/data.pkl in the archive: not a torch.save file`);
  const root = pkl.slice(0, -'data.pkl'.length);
  const storages = new Map<string, Uint8Array>();

  const storageBytes = (s: Storage): Uint8Array => {
    let b = storages.get(s.key);
    if (!b) {
      const name = `${root}data/${s.key}`;
      if (!zip.entries.has(name)) throw new CheckpointError(`${source}: storage ${name} is missing from the archive`);
      b = zip.read(name);
      if (b.byteLength < s.numel * STORED_BYTES[s.dtype]) {
        throw new CheckpointError(`${source}: storage ${name} has ${b.byteLength} bytes, needs ${s.numel} × ${s.dtype}`);
      }
      storages.set(s.key, b);
    }
    return b;
  };

  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw new PickleError(`${source}: unexpected persistent id ${JSON.stringify(pid)}`);
    const [, type, key, , n] = pid as [string, { module?: string; name?: string }, unknown, unknown, unknown];
    const dtype = type && type.module === 'torch' && type.name ? STORAGE_DTYPES[type.name] : undefined;
    if (!dtype) throw new PickleError(`${source}: unsupported storage type ${JSON.stringify(type)}`);
    if (typeof key !== 'string' || typeof n !== 'number') throw new PickleError(`${source}: malformed storage reference`);
    return { key, dtype, numel: n };
  };

  const rebuildTensor = (args: unknown[]): HostTensor => {
    const [storage, offset, size, stride] = args as [Storage, number, number[], number[]];
    if (!storage || typeof storage.key !== 'string' || !Array.isArray(size) || !Array.isArray(stride) || size.length !== stride.length || typeof offset !== 'number') {
      throw new Error('malformed arguments');
    }
    return materialize(storageBytes(storage), storage, offset, size, stride, source);
  };

  const reducers = new Map<string, (args: unknown[]) => unknown>([
    [ORDERED_DICT, () => new Map()],
    [REBUILD_TENSOR, rebuildTensor],
    [REBUILD_PARAMETER, (args) => args[0]],
  ]);

  const obj = unpickle(zip.read(pkl, { verifyCrc: true }), { globals: ALLOWED_GLOBALS, reducers, persistentLoad, source: `${source}: ${pkl}` });
  return toStateDict(obj, source);
}

function materialize(bytes: Uint8Array, s: Storage, offset: number, size: number[], stride: number[], source: string): HostTensor {
  const e = STORED_BYTES[s.dtype];
  const n = numel(size);
  if (n === 0) return { dtype: s.dtype, shape: size, data: new Uint8Array(0) };
  let last = offset;
  size.forEach((d, i) => (last += (d - 1) * stride[i]));
  if (offset < 0 || last >= s.numel || stride.some((x) => x < 0)) {
    throw new CheckpointError(`${source}: tensor ${fmtShape(size)} with offset ${offset} and strides ${fmtShape(stride)} reads outside its storage of ${s.numel} elements`);
  }
  // Row-major strides: a view. Otherwise gather element by element.
  let expect = 1;
  let contiguous = true;
  for (let i = size.length - 1; i >= 0; i--) {
    if (size[i] !== 1 && stride[i] !== expect) contiguous = false;
    expect *= size[i];
  }
  if (contiguous) return { dtype: s.dtype, shape: size, data: bytes.subarray(offset * e, (offset + n) * e) };
  const out = new Uint8Array(n * e);
  const idx = new Array(size.length).fill(0);
  for (let k = 0; k < n; k++) {
    let src = offset;
    for (let i = 0; i < size.length; i++) src += idx[i] * stride[i];
    out.set(bytes.subarray(src * e, src * e + e), k * e);
    for (let i = size.length - 1; i >= 0; i--) {
      if (++idx[i] < size[i]) break;
      idx[i] = 0;
    }
  }
  return { dtype: s.dtype, shape: size, data: out };
}

function isHostTensor(v: unknown): v is HostTensor {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;
}

/** The state dict inside the pickle: the top-level dict, or its 'state_dict' / 'model' entry. */
function toStateDict(obj: unknown, source: string): StateDict {
  let dict = obj;
  if (dict instanceof Map && !isHostTensor([...dict.values()][0])) {
    for (const k of ['state_dict', 'model', 'module']) {
      if (dict.has(k) && dict.get(k) instanceof Map) {
        dict = dict.get(k);
        break;
      }
    }
  }
  if (!(dict instanceof Map)) throw new CheckpointError(`${source}: the pickle does not hold a state dict (a dict of tensors)`);
  const sd: StateDict = new Map();
  for (const [k, v] of dict as Map<unknown, unknown>) {
    if (typeof k !== 'string') throw new CheckpointError(`${source}: state dict key ${String(k)} is not a string`);
    if (!isHostTensor(v)) throw new CheckpointError(`${source}: state dict entry "${k}" is not a tensor`);
    sd.set(k, v);
  }
  return sd;
}
