/**
 * WebGPU binds at most `maxStorageBufferBindingSize` bytes per buffer (128 MiB on lavapipe and
 * many GPUs). A batch whose largest activation would pass that runs in slices small enough, and
 * the rows of their outputs are copied into one result: any batch size works, at the same speed
 * per item.
 */
import type { Tensor } from '../runtime/tensor.js';
import { GpuError } from '../runtime/errors.js';

/**
 * `forward` on the batch (dim 0 of `input`), in slices of at most ⌊limit / bytesPerItem⌋ items.
 * `bytesPerItem` is the largest activation one item makes (4 bytes per element: f32 at most).
 */
export function forwardInSlices(input: Tensor, bytesPerItem: number, forward: (x: Tensor) => Tensor): Tensor {
  const backend = input.backend;
  const n = input.shape[0];
  const limit = backend.maxTensorBytes;
  if (bytesPerItem > limit) {
    throw new GpuError(`one item needs a ${bytesPerItem}-byte activation, more than this adapter binds (${limit}): use a smaller input`);
  }
  const per = Math.max(1, Math.floor(limit / bytesPerItem));
  if (n <= per) return forward(input);
  const inItem = input.size / n;
  let out: Tensor | null = null;
  for (let i = 0; i < n; i += per) {
    const m = Math.min(per, n - i);
    // Each slice's input and output are freed once its rows are copied; `out` is returned to outlive it.
    out = backend.scope(() => {
      const slice = backend.empty([m, ...input.shape.slice(1)], input.dtype, `${input.label}[${i}:${i + m}]`);
      backend.copyElements(input, i * inItem, slice, 0, m * inItem);
      const y = forward(slice);
      const outItem = y.size / m;
      const o = out ?? backend.empty([n, ...y.shape.slice(1)], y.dtype, y.label);
      backend.copyElements(y, 0, o, i * outItem, m * outItem);
      return o;
    });
  }
  return out!;
}
