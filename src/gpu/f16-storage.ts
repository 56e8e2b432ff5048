/**
 * f16 storage for kernels written in f32. Every kernel's WGSL declares its float buffers as
 * `array<f32>` or `array<vecN<f32>>` and does its arithmetic in f32. When a bound tensor is f16,
 * `Gpu.dispatch` rewrites that binding: the declaration becomes `array<f16>` (`vecN<f16>`), each
 * load `x[i]` becomes `f32(x[i])` and each store `y[i] = e;` becomes `y[i] = f16(e);`. So f16 halves
 * memory and traffic while sums, LayerNorm statistics and softmax stay f32 arithmetic, and one
 * WGSL source serves both types with no conversion noise in the math.
 */
import { GpuError } from './errors.js';

export interface FloatBinding {
  name: string;
  /** 'f32', 'vec2<f32>', 'vec4<f32>', ... */
  element: string;
}

const DECL = /@group\(0\)\s*@binding\((\d+)\)\s*var<storage,\s*(?:read|read_write)>\s*(\w+)\s*:\s*array<((?:vec[234]<)?f32>?)>\s*;/g;

/** The float storage arrays a kernel declares, by binding index. */
export function floatBindings(code: string): Map<number, FloatBinding> {
  const out = new Map<number, FloatBinding>();
  for (const m of code.matchAll(DECL)) out.set(Number(m[1]), { name: m[2], element: m[3] });
  return out;
}

const IDENT = /[A-Za-z0-9_]/;

/** Index of the `]` closing the `[` at `open`. */
function closing(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '[') depth++;
    else if (code[i] === ']' && --depth === 0) return i;
  }
  throw new GpuError(`f16 rewrite: unbalanced [ at ${open}`);
}

/** Rewrites the named float bindings of `code` to f16 storage (see the module comment). */
export function rewriteForF16(code: string, kernel: string, bindings: readonly FloatBinding[]): string {
  let out = code;
  for (const b of bindings) {
    const declared = new RegExp(`(var<storage,\\s*(?:read|read_write)>\\s*${b.name}\\s*:\\s*array<)${b.element.replace(/[<>]/g, '\\$&')}>`);
    out = rewriteAccesses(out.replace(declared, `$1${b.element.replace('f32', 'f16')}>`), kernel, b);
  }
  return /^\s*enable f16;/m.test(out) ? out : `enable f16;\n${out}`;
}

/** Wraps loads of `b` in f32 conversions and the values stored into it in f16 ones. */
function rewriteAccesses(text: string, kernel: string, b: FloatBinding): string {
  const stored = b.element.replace('f32', 'f16');
  const at = new RegExp(`\\b${b.name}\\s*\\[`, 'g');
  let result = '';
  let i = 0;
  for (let m = at.exec(text); m; m = at.exec(text)) {
    const start = m.index;
    if (start > 0 && text[start - 1] === '.') continue; // a struct member of the same name
    const close = closing(text, text.indexOf('[', start));
    const access = text.slice(start, close + 1);
    const rest = text.slice(close + 1);
    const swizzle = /^\.[xyzw]+/.exec(rest)?.[0] ?? '';
    const assign = /^\s*([-+*/]?=)(?!=)/.exec(rest.slice(swizzle.length));
    if (assign) {
      if (assign[1] !== '=') throw new GpuError(`${kernel}: f16 storage cannot rewrite the compound store "${access} ${assign[1]}"`);
      const rhsStart = close + 1 + swizzle.length + assign[0].length;
      const end = text.indexOf(';', rhsStart);
      const target = swizzle.length === 2 ? 'f16' : swizzle ? `vec${swizzle.length - 1}<f16>` : stored;
      const rhs = rewriteAccesses(text.slice(rhsStart, end).trim(), kernel, b);
      result += text.slice(i, start) + `${access}${swizzle} = ${target}(${rhs})`;
      i = end;
    } else {
      result += text.slice(i, start) + `${b.element}(${access})`;
      i = close + 1;
    }
    at.lastIndex = i;
  }
  return result + text.slice(i);
}
