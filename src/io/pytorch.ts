/**
 * PyTorch `.pt` checkpoints (torch.save's zip format): `<root>/data.pkl` holds the state dict as a
 * pickle whose tensors point at storages `<root>/data/<key>`; `<root>` can be any name. Tensors are
 * rebuilt from (storage, offset, size, stride) with our safe unpickler; contiguous ones are views
 * into the file, strided ones are gathered. The legacy (pre-1.6, non-zip) format is refused.
 */
import { fmtShape, numel } from '../runtime/shape.js';
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

/** What `_rebuild_tensor_v2` describes; materialised once the pickle is read, when its key is known. */
interface TensorRef {
  storage: Storage;
  offset: number;
  size: number[];
  stride: number[];
}

export interface CheckpointReadOptions {
  /**
   * Gather strided tensors even when, together, they materialise more than EXPANSION_LIMIT × the
   * bytes of the storages the file holds (stride-0 / expanded views are legal in PyTorch, but a
   * 1.6 KB file can describe a 1 GiB tensor that way).
   */
  allowExpandedTensors?: boolean;
}

/** Gathered (non-view) tensors may materialise this many times the storages' bytes, plus 1 MiB. */
export const EXPANSION_LIMIT = 4;

/** The largest data.pkl inflated: real state dicts' pickles are kilobytes to a few MB. */
const MAX_PICKLE_BYTES = 256 << 20;

/** The pickle's first bytes in torch's legacy format: a pickled magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export function isLegacyTorchFile(b: Uint8Array): boolean {
  return LEGACY_MAGIC.every((v, i) => b[i] === v);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A short, non-recursive rendering of a pickled value for error messages. */
function brief(v: unknown): string {
  if (Array.isArray(v)) return `a ${v.length}-item ${Object.isFrozen(v) ? 'tuple' : 'list'}`;
  if (v instanceof Map) return `a ${v.size}-entry dict`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === 'bigint' ? `${v}` : String(v);
}

export function readPytorch(bytes: Uint8Array, source = 'checkpoint.pt', opts: CheckpointReadOptions = {}): StateDict {
  if (isLegacyTorchFile(bytes)) {
    throw new CheckpointError(`${source}: this is PyTorch's legacy (pre-1.6) serialization format; re-save it with a recent torch: torch.save(torch.load(f), out)`);
  }
  if (!isZip(bytes)) throw new CheckpointError(`${source}: not a PyTorch zip checkpoint (no ZIP signature)`);
  const zip = new ZipArchive(bytes, source);
  const pkl = [...zip.entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new CheckpointError(`${source}: no <name>/data.pkl in the archive: not a torch.save file`);
  const root = pkl.slice(0, -'data.pkl'.length);
  const storages = new Map<string, Storage>();

  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw new PickleError(`${source}: unexpected persistent id (${brief(pid)})`);
    const [, type, key, , n] = pid as [string, { module?: string; name?: string }, unknown, unknown, unknown];
    const dtype = type && type.module === 'torch' && type.name ? STORAGE_DTYPES[type.name] : undefined;
    if (!dtype) throw new PickleError(`${source}: unsupported storage type ${brief(type instanceof Object && 'qualified' in type ? type.qualified : type)}`);
    if (typeof key !== 'string' || !isCount(n)) throw new PickleError(`${source}: malformed storage reference (key ${brief(key)}, size ${brief(n)})`);
    const seen = storages.get(key);
    if (seen && (seen.dtype !== dtype || seen.numel !== n)) throw new PickleError(`${source}: storage ${key} is declared twice with different types or sizes`);
    const s = seen ?? { key, dtype, numel: n };
    storages.set(key, s);
    return s;
  };

  const rebuildTensor = (args: unknown[]): TensorRef => {
    const [storage, offset, size, stride] = args as [Storage, unknown, unknown, unknown];
    if (!storage || typeof storage.key !== 'string' || !Array.isArray(size) || !Array.isArray(stride) || size.length !== stride.length) {
      throw new Error('malformed arguments');
    }
    // PyTorch sizes, strides and offsets are non-negative integers; anything else is a crafted file.
    if (!isCount(offset) || !size.every(isCount) || !stride.every(isCount)) {
      throw new Error(`impossible tensor geometry: size (${size.map(brief).join(', ')}), stride (${stride.map(brief).join(', ')}), offset ${brief(offset)}`);
    }
    return { storage, offset, size: [...size], stride: [...stride] };
  };

  const reducers = new Map<string, (args: unknown[]) => unknown>([
    [ORDERED_DICT, () => new Map()],
    [REBUILD_TENSOR, rebuildTensor],
    [REBUILD_PARAMETER, (args) => args[0]],
  ]);

  const pklEntry = zip.entries.get(pkl)!;
  if (pklEntry.size > MAX_PICKLE_BYTES) throw new CheckpointError(`${source}: ${pkl} declares ${pklEntry.size} bytes, over the ${MAX_PICKLE_BYTES}-byte limit for a state dict's pickle`);
  const obj = unpickle(zip.read(pkl, { verifyCrc: true }), { globals: ALLOWED_GLOBALS, reducers, persistentLoad, source: `${source}: ${pkl}` });
  const refs = toRefs(obj, source);

  // Every storage's entry must exist with exactly the declared bytes: checked before any inflating.
  let storageBytes = 0;
  for (const s of storages.values()) {
    const name = `${root}data/${s.key}`;
    const e = zip.entries.get(name);
    if (!e) throw new CheckpointError(`${source}: storage ${name} is missing from the archive`);
    const want = s.numel * STORED_BYTES[s.dtype];
    if (e.size !== want) throw new CheckpointError(`${source}: storage ${name} holds ${e.size} bytes, the pickle declares ${s.numel} × ${s.dtype} = ${want}`);
    storageBytes += want;
  }
  const budget = { left: opts.allowExpandedTensors ? Infinity : EXPANSION_LIMIT * storageBytes + (1 << 20), storageBytes };
  // The bytes of each storage the tensors reach: a deflated storage is inflated only that far.
  const reach = new Map<string, number>();
  for (const t of refs.values()) reach.set(t.storage.key, Math.max(reach.get(t.storage.key) ?? 0, reachedBytes(t)));
  const loaded = new Map<string, Uint8Array>();
  const data = (s: Storage): Uint8Array => {
    let b = loaded.get(s.key);
    if (!b) loaded.set(s.key, (b = zip.read(`${root}data/${s.key}`, { verifyCrc: true, prefix: reach.get(s.key) })));
    return b;
  };
  const sd: StateDict = new Map();
  for (const [key, ref] of refs) sd.set(key, materialize(ref, data, budget, `${source}: tensor "${key}"`));
  return sd;
}

/** The storage index of a tensor's last element (−1 for an empty tensor). */
function lastElement({ offset, size, stride }: TensorRef): number {
  if (size.some((d) => d === 0)) return -1;
  return size.reduce((last, d, i) => last + (d - 1) * stride[i], offset);
}

/** One past the last byte of its storage a tensor reads (0 for an empty tensor). */
const reachedBytes = (t: TensorRef): number => Math.min(lastElement(t) + 1, t.storage.numel) * STORED_BYTES[t.storage.dtype];

function materialize(t: TensorRef, data: (s: Storage) => Uint8Array, budget: { left: number; storageBytes: number }, what: string): HostTensor {
  const { storage: s, offset, size, stride } = t;
  const e = STORED_BYTES[s.dtype];
  const n = numel(size);
  if (n === 0) return { dtype: s.dtype, shape: size, data: new Uint8Array(0) };
  if (lastElement(t) >= s.numel) {
    throw new CheckpointError(`${what} ${fmtShape(size)} with offset ${offset} and strides ${fmtShape(stride)} reads outside its storage of ${s.numel} elements`);
  }
  // Row-major strides: a view. Otherwise gather element by element, within the expansion budget.
  let expect = 1;
  let contiguous = true;
  for (let i = size.length - 1; i >= 0; i--) {
    if (size[i] !== 1 && stride[i] !== expect) contiguous = false;
    expect *= size[i];
  }
  const bytes = data(s);
  if (contiguous) return { dtype: s.dtype, shape: size, data: bytes.subarray(offset * e, (offset + n) * e) };
  if (n * e > budget.left) {
    throw new CheckpointError(
      `${what} ${fmtShape(size)} with strides ${fmtShape(stride)} would materialise ${n * e} bytes from a file whose storages hold ${budget.storageBytes}: ` +
        `over ${EXPANSION_LIMIT}× the storages (an expanded or stride-0 view); pass allowExpandedTensors (--allow-expanded-tensors) if the file is trusted`,
    );
  }
  budget.left -= n * e;
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

function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && 'storage' in v && 'size' in v && 'stride' in v;
}

/** The state dict inside the pickle: the top-level dict, or its 'state_dict' / 'model' entry. */
function toRefs(obj: unknown, source: string): Map<string, TensorRef> {
  let dict = obj;
  if (dict instanceof Map && !isTensorRef([...dict.values()][0])) {
    for (const k of ['state_dict', 'model', 'module']) {
      if (dict.has(k) && dict.get(k) instanceof Map) {
        dict = dict.get(k);
        break;
      }
    }
  }
  if (!(dict instanceof Map)) throw new CheckpointError(`${source}: the pickle does not hold a state dict (a dict of tensors)`);
  const refs = new Map<string, TensorRef>();
  for (const [k, v] of dict as Map<unknown, unknown>) {
    if (typeof k !== 'string') throw new CheckpointError(`${source}: state dict key ${brief(k)} is not a string`);
    if (!isTensorRef(v)) throw new CheckpointError(`${source}: state dict entry "${k}" is not a tensor (${brief(v)})`);
    refs.set(k, v);
  }
  return refs;
}
