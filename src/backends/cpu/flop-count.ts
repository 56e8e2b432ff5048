/** The CPU ops' FLOP count (bench's GFLOP/s), kept on the backend: ops add 2 per multiply-add. */
import type { Tensor } from '../../runtime/tensor.js';

export function countFlops(t: Tensor, flops: number): void {
  (t.backend as unknown as { flops: number }).flops += flops;
}
