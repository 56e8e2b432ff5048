/** A BatchNorm2d layer from host parameters, loaded as the models load theirs (through a WeightStore). */
import type { Backend } from '../../src/runtime/backend.js';
import { float32Tensor } from '../../src/io/host-tensor.js';
import { BatchNorm2d } from '../../src/layers/batch-norm.js';
import type { BatchNormParams } from '../../src/layers/bn-fold.js';
import { WeightStore } from '../../src/layers/weights.js';

export function batchNormLayer(gpu: Backend, bn: BatchNormParams): BatchNorm2d {
  const c = bn.weight.length;
  const sd = new Map(
    (
      [
        ['weight', bn.weight],
        ['bias', bn.bias],
        ['running_mean', bn.runningMean],
        ['running_var', bn.runningVar],
      ] as const
    ).map(([k, v]) => [`bn.${k}`, float32Tensor(v, [c])]),
  );
  const store = new WeightStore(gpu, sd, 'test batch norm');
  const layer = new BatchNorm2d(store, 'bn', c, bn.eps);
  store.finish();
  return layer;
}
