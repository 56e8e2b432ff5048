/**
 * A kernel's declared interface. A kernel names its uniform parameters with their types and its
 * storage bindings with their element type and access; from that, `kernelHeader` writes the WGSL
 * `struct Params`, the binding declarations (the uniform at 0, then the bindings 1, 2, … in the
 * order declared) and one typed accessor per binding:
 *
 *   fn load_x(i: u32) -> f32            // every binding
 *   fn store_y(i: u32, v: f32)          // read_write bindings
 *
 * A float binding's storage is f32 or f16 as the tensor bound to it is, and its accessors convert,
 * so a kernel body is written once in f32 arithmetic and never sees the storage type: f16 halves
 * memory and traffic while sums, norms and softmax stay f32. The storage array itself is named
 * `<name>_buf`, so a body that indexes it directly fails to compile in either dtype.
 * `packParams` writes the uniform from values given by name.
 */
import type { DType } from '../../runtime/dtype.js';
import { GpuError } from '../../runtime/errors.js';

export type ParamType = 'u32' | 'i32' | 'f32';

/** The element a binding holds as the body sees it; float elements are stored as f32 or f16. */
export type Element = 'f32' | 'vec2<f32>' | 'vec4<f32>' | 'i32' | 'u32';

export interface BindingDecl {
  element: Element;
  access: 'read' | 'read_write';
}

export interface KernelSignature {
  /** Uniform fields in `struct Params` order (16-byte padded); omit for a kernel with none. */
  params?: Readonly<Record<string, ParamType>>;
  /** Storage bindings in binding order (1, 2, …). */
  bindings: Readonly<Record<string, BindingDecl>>;
  /** WGSL extensions the body uses (`f16` is enabled by itself where a binding stores f16). */
  enable?: readonly 'subgroups'[];
}

export const input = (element: Element = 'f32'): BindingDecl => ({ element, access: 'read' });
export const output = (element: Element = 'f32'): BindingDecl => ({ element, access: 'read_write' });

const isFloat = (e: Element) => e.includes('f32');

/** The WGSL storage type of `element` held as `dtype`. */
function storageType(kernel: string, name: string, element: Element, dtype: DType): string {
  if (isFloat(element)) {
    if (dtype === 'i32') throw new GpuError(`${kernel}: binding ${name} holds ${element} but was given an i32 tensor`);
    return dtype === 'f16' ? element.replace('f32', 'f16') : element;
  }
  // i32 and u32 bindings take i32 tensors: 32-bit words either way.
  if (dtype !== 'i32') throw new GpuError(`${kernel}: binding ${name} holds ${element} but was given an ${dtype} tensor`);
  return element;
}

/**
 * Declarations and accessors for a signature whose bindings hold `dtypes` (by name). Throws a
 * GpuError naming the kernel for a binding declared but not given, or given but not declared.
 */
export function kernelHeader(kernel: string, sig: KernelSignature, dtypes: Readonly<Record<string, DType>>): string {
  for (const name of Object.keys(dtypes)) {
    if (!(name in sig.bindings)) throw new GpuError(`${kernel}: was given a binding "${name}" it does not declare (it has ${Object.keys(sig.bindings).join(', ')})`);
  }
  const enables: string[] = [...(sig.enable ?? [])];
  const lines: string[] = [];
  if (sig.params) {
    const fields = Object.entries(sig.params).map(([n, t]) => `${n}: ${t}`);
    lines.push(`struct Params { ${fields.join(', ')} }`, '@group(0) @binding(0) var<uniform> p: Params;');
  }
  let slot = 1;
  for (const [name, b] of Object.entries(sig.bindings)) {
    const dtype = dtypes[name];
    if (!dtype) throw new GpuError(`${kernel}: binding "${name}" was not given a tensor`);
    const stored = storageType(kernel, name, b.element, dtype);
    if (dtype === 'f16' && !enables.includes('f16')) enables.push('f16');
    lines.push(`@group(0) @binding(${slot++}) var<storage, ${b.access}> ${name}_buf: array<${stored}>;`);
    lines.push(`fn load_${name}(i: u32) -> ${b.element} { return ${b.element}(${name}_buf[i]); }`);
    if (b.access === 'read_write') lines.push(`fn store_${name}(i: u32, v: ${b.element}) { ${name}_buf[i] = ${stored}(v); }`);
  }
  return [...enables.map((e) => `enable ${e};`), ...lines].join('\n');
}

/** The uniform for `values` (by name) in the signature's field order, padded to 16 bytes. */
export function packParams(kernel: string, sig: KernelSignature, values: Readonly<Record<string, number>>): ArrayBuffer {
  const fields = Object.entries(sig.params ?? {});
  for (const name of Object.keys(values)) {
    if (!sig.params || !(name in sig.params)) throw new GpuError(`${kernel}: was given a parameter "${name}" it does not declare`);
  }
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(buf);
  fields.forEach(([name, type], i) => {
    const v = values[name];
    if (v === undefined) throw new GpuError(`${kernel}: parameter "${name}" was not given`);
    if (type === 'f32') view.setFloat32(i * 4, v, true);
    else if (type === 'i32') {
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`${kernel}: parameter ${name} = ${v} is not an i32`);
      view.setInt32(i * 4, v, true);
    } else {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${kernel}: parameter ${name} = ${v} is not a u32`);
      view.setUint32(i * 4, v, true);
    }
  });
  return buf;
}
