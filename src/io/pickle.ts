/**
 * A safe unpickler for the pickles torch.save writes for a state dict. It understands only the
 * opcodes those use (protocol 2, plus the protocol 4 framing newer versions emit) and only an
 * allow-list of globals; anything else is refused with an error naming it. Nothing is ever
 * executed: "calling" an allowed global runs our own TypeScript stand-in for it.
 */
export class PickleError extends Error {
  override name = 'PickleError';
}

/** A reference to an allowed Python global (a class or function). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** What `Q` (BINPERSID) hands to the caller: torch's ('storage', type, key, location, numel). */
export type PersistentLoad = (pid: unknown) => unknown;
/** Our implementation of an allowed callable. */
export type Reducer = (args: unknown[]) => unknown;

export interface UnpickleOptions {
  /** Allowed globals ("module.name") that may appear; others are refused. */
  globals: ReadonlySet<string>;
  /** REDUCE handlers for the allowed callables. */
  reducers: ReadonlyMap<string, Reducer>;
  persistentLoad: PersistentLoad;
  source?: string;
}

const MARK = Symbol('mark');

/**
 * The most opcodes one pickle may run. A state dict costs ~30 per tensor (a 10k-tensor model
 * ~300k); the cap bounds the JS objects a small hostile file can make (memory), not real models.
 */
export const MAX_PICKLE_OPS = 20_000_000;

export function unpickle(data: Uint8Array, opts: UnpickleOptions): unknown {
  const src = opts.source ?? 'pickle';
  const fail = (msg: string, at: number): never => {
    throw new PickleError(`${src}: ${msg} (at byte ${at})`);
  };
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  // Where each open MARK sits in `stack` (CPython's metastack): popMark is O(1), not a scan.
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const need = (n: number, at: number) => {
    if (pos + n > data.length) fail('truncated pickle', at);
  };
  const popMark = (at: number): unknown[] => {
    const i = marks.pop();
    if (i === undefined) fail('MARK expected', at);
    const items = stack.splice(i!);
    items.shift();
    return items;
  };
  const pop = (at: number): unknown => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK) fail('stack underflow', at);
    return stack.pop();
  };
  const top = (at: number): unknown => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK) fail('stack underflow', at);
    return stack[stack.length - 1];
  };
  const utf8 = (b: Uint8Array, at: number): string => {
    try {
      return dec.decode(b);
    } catch {
      return fail('a string is not valid UTF-8', at);
    }
  };
  const readLine = (at: number): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated line', at);
    const s = utf8(data.subarray(pos, end), at);
    pos = end + 1;
    return s;
  };
  const str = (n: number, at: number): string => {
    if (n < 0) fail(`negative string length ${n}`, at);
    need(n, at);
    const s = utf8(data.subarray(pos, pos + n), at);
    pos += n;
    return s;
  };
  const global = (module: string, name: string, at: number): PyGlobal => {
    const q = `${module}.${name}`;
    if (!opts.globals.has(q)) fail(`refusing unsupported global ${q}: only PyTorch state dicts can be loaded`, at);
    return new PyGlobal(module, name);
  };
  const setItems = (dict: unknown, items: unknown[], at: number) => {
    if (!(dict instanceof Map)) fail('SETITEM on something that is not a dict', at);
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };

  for (let ops = 0; ; ops++) {
    const at = pos;
    if (pos >= data.length) fail('pickle ended without STOP', at);
    if (ops === MAX_PICKLE_OPS) fail(`more than ${MAX_PICKLE_OPS} opcodes: far larger than a state dict's pickle`, at);
    const op = data[pos++];
    switch (op) {
      case 0x80: // PROTO
        need(1, at);
        if (data[pos] > 5) fail(`unsupported pickle protocol ${data[pos]}`, at);
        pos += 1;
        break;
      case 0x95: // FRAME
        need(8, at);
        pos += 8;
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} items on the stack`, at);
        return stack[0];
      case 0x63: {
        // GLOBAL
        const module = readLine(at);
        const name = readLine(at);
        stack.push(global(module, name, at));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop(at);
        const module = pop(at);
        if (typeof name !== 'string' || typeof module !== 'string') fail('STACK_GLOBAL needs two strings', at);
        stack.push(global(module as string, name as string, at));
        break;
      }
      case 0x71: // BINPUT
        need(1, at);
        memo.set(data[pos++], top(at));
        break;
      case 0x72: // LONG_BINPUT
        need(4, at);
        memo.set(dv.getUint32(pos, true), top(at));
        pos += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top(at));
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const n = op === 0x68 ? 1 : 4;
        need(n, at);
        const k = n === 1 ? data[pos] : dv.getUint32(pos, true);
        pos += n;
        if (!memo.has(k)) fail(`memo key ${k} missing`, at);
        stack.push(memo.get(k));
        break;
      }
      case 0x4b: // BININT1
        need(1, at);
        stack.push(data[pos++]);
        break;
      case 0x4d: // BININT2
        need(2, at);
        stack.push(dv.getUint16(pos, true));
        pos += 2;
        break;
      case 0x4a: // BININT
        need(4, at);
        stack.push(dv.getInt32(pos, true));
        pos += 4;
        break;
      case 0x8a: {
        // LONG1
        need(1, at);
        const n = data[pos++];
        need(n, at);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[pos + i]);
        if (n > 0 && data[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8, at);
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        need(4, at);
        pos += 4;
        stack.push(str(dv.getUint32(pos - 4, true), at));
        break;
      case 0x8c: // SHORT_BINUNICODE
        need(1, at);
        pos += 1;
        stack.push(str(data[pos - 1], at));
        break;
      case 0x55: // SHORT_BINSTRING
        need(1, at);
        pos += 1;
        stack.push(str(data[pos - 1], at));
        break;
      case 0x54: // BINSTRING
        need(4, at);
        pos += 4;
        stack.push(str(dv.getInt32(pos - 4, true), at));
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x28: // MARK
        marks.push(stack.length);
        stack.push(MARK);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x74: // TUPLE
        stack.push(Object.freeze(popMark(at)));
        break;
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop(at)]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop(at);
        stack.push(Object.freeze([pop(at), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop(at);
        const b = pop(at);
        stack.push(Object.freeze([pop(at), b, c]));
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x61: {
        // APPEND
        const v = pop(at);
        const l = top(at);
        if (!Array.isArray(l) || Object.isFrozen(l)) fail('APPEND to something that is not a list', at);
        (l as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark(at);
        const l = top(at);
        if (!Array.isArray(l) || Object.isFrozen(l)) fail('APPENDS to something that is not a list', at);
        // A loop, not push(...items): spreading millions of arguments overflows the JS stack.
        for (const v of items) (l as unknown[]).push(v);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop(at);
        const k = pop(at);
        setItems(top(at), [k, v], at);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark(at);
        setItems(top(at), items, at);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(opts.persistentLoad(pop(at)));
        break;
      case 0x52: {
        // REDUCE
        const args = pop(at);
        const fn = pop(at);
        if (!(fn instanceof PyGlobal)) fail('REDUCE on something that is not an allowed global', at);
        if (!Array.isArray(args)) fail('REDUCE arguments are not a tuple', at);
        const r = opts.reducers.get((fn as PyGlobal).qualified);
        if (!r) fail(`refusing to call ${(fn as PyGlobal).qualified}`, at);
        try {
          stack.push(r!(args as unknown[]));
        } catch (e) {
          fail(`${(fn as PyGlobal).qualified}: ${(e as Error).message}`, at);
        }
        break;
      }
      case 0x62: {
        // BUILD: only the OrderedDict `_metadata` attribute torch attaches; the state is dropped.
        pop(at);
        if (!(top(at) instanceof Map)) fail('BUILD on an object other than a dict', at);
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}')`, at);
    }
  }
}
