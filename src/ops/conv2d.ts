/**
 * 2-D convolution on NCHW, zero padding, weight [Cout, Cin/groups, KH, KW], optional bias and
 * fused activation: dense, grouped, depthwise and grouped-expanding convs (groups = Cin, Cout =
 * 2·Cin: output o reads input ⌊o/2⌋), any stride, non-square kernels (1×11). A 1×1 conv at
 * stride 1 is the GEMM it is (`pointwiseConv`), with the GEMM's full epilogue.
 * Cost: 2·N·Cout·OH·OW·(Cin/groups)·KH·KW flops.
 */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank, checkShape, fmtShape } from '../runtime/shape.js';
import { ShapeError } from '../runtime/errors.js';
import { activationRef } from './activation.js';
import type { Activation, Conv2dGeometry } from '../runtime/backend-ops.js';

export type { Conv2dGeometry } from '../runtime/backend-ops.js';
import { backendOf } from './backend-check.js';
import { gemm } from './gemm.js';

export interface Conv2dOptions {
  stride?: number | readonly [number, number];
  /** Zero padding [top/bottom, left/right] (PyTorch's `padding`); default 0. */
  padding?: number | readonly [number, number];
  groups?: number;
  bias?: Tensor;
  act?: Activation;
}

const pair = (v: number | readonly [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

export function conv2dOutputSize(h: number, w: number, kh: number, kw: number, stride: [number, number], pad: [number, number]): [number, number] {
  return [Math.floor((h + 2 * pad[0] - kh) / stride[0]) + 1, Math.floor((w + 2 * pad[1] - kw) / stride[1]) + 1];
}

export function conv2d(x: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const backend = backendOf(op, x, weight, opts.bias);
  const [n, cin, h, w] = checkRank(op, 'x', x, 4);
  const [cout, cinPerGroup, kh, kw] = checkRank(op, 'weight', weight, 4);
  const groups = opts.groups ?? 1;
  const stride = pair(opts.stride, 1);
  const pad = pair(opts.padding, 0);
  if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0 || cout % groups !== 0) {
    throw new ShapeError(`${op}: groups=${groups} must divide both Cin=${cin} (x ${fmtShape(x.shape)}) and Cout=${cout}`);
  }
  if (cinPerGroup !== cin / groups) {
    throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} expects ${cinPerGroup} input channels per group, x ${fmtShape(x.shape)} with groups=${groups} gives ${cin / groups}`);
  }
  if (stride.some((s) => !Number.isInteger(s) || s < 1) || pad.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new ShapeError(`${op}: invalid stride ${stride} or padding ${pad}`);
  }
  if (opts.bias) checkShape(op, 'bias', opts.bias, [cout]);
  const [oh, ow] = conv2dOutputSize(h, w, kh, kw, stride, pad);
  if (oh <= 0 || ow <= 0) throw new ShapeError(`${op}: input ${fmtShape(x.shape)} is smaller than the ${kh}×${kw} kernel with padding ${pad}`);
  const act = opts.act ?? 'none';
  if (kh === 1 && kw === 1 && groups === 1 && stride[0] === 1 && stride[1] === 1 && pad[0] === 0 && pad[1] === 0) {
    return pointwiseConv(x, weight, { bias: opts.bias, act });
  }
  return backend.ops.conv2d(x, weight, { n, cin, h, w, cout, cinPerGroup, kh, kw, groups, stride, pad, oh, ow, bias: opts.bias, act });
}

/**
 * A 1×1 convolution (stride 1, groups 1) as the GEMM it is, with the full epilogue: bias, act,
 * per-output-channel scale, residual. weight [Cout, Cin] or [Cout, Cin, 1, 1]; x [N, Cin, H, W].
 */
export function pointwiseConv(x: Tensor, weight: Tensor, epi: { bias?: Tensor; act?: Activation; scale?: Tensor; residual?: Tensor } = {}): Tensor {
  const [n, cin, h, w] = checkRank('pointwiseConv', 'x', x, 4);
  const ws = checkRank('pointwiseConv', 'weight', weight, [2, 4]);
  if (ws[1] !== cin || (ws.length === 4 && (ws[2] !== 1 || ws[3] !== 1))) {
    throw new ShapeError(`pointwiseConv: weight ${fmtShape(ws)} does not map x ${fmtShape(x.shape)} (expected [Cout, ${cin}, 1, 1])`);
  }
  const cout = ws[0];
  return gemm({
    a: weight, b: x, bLayout: 'kn', M: cout, N: h * w, K: cin, batch: n, strideA: 0, strideB: cin * h * w,
    outShape: [n, cout, h, w], bias: epi.bias, biasAlong: 'm', act: epi.act, scale: epi.scale, scaleAlong: 'm',
    residual: epi.residual, label: 'conv1x1',
  });
}

export interface Conv2dRefOptions {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  groups?: number;
  bias?: Float32Array;
  act?: Activation;
}

/** The plain reference (float64 accumulation). Returns the output and its shape. */
export function conv2dRef(
  x: Float32Array,
  xShape: readonly number[],
  w: Float32Array,
  wShape: readonly number[],
  opts: Conv2dRefOptions = {},
): { out: Float32Array; shape: number[] } {
  const [n, cin, h, wd] = xShape;
  const [cout, cpg, kh, kw] = wShape;
  const groups = opts.groups ?? 1;
  const stride = pair(opts.stride, 1);
  const pad = pair(opts.padding, 0);
  const [oh, ow] = conv2dOutputSize(h, wd, kh, kw, stride, pad);
  const f = activationRef(opts.act ?? 'none');
  const out = new Float32Array(n * cout * oh * ow);
  const coutPerGroup = cout / groups;
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < cout; oc++) {
      const g = Math.floor(oc / coutPerGroup);
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let acc = 0;
          for (let icg = 0; icg < cpg; icg++) {
            const ic = g * cpg + icg;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * stride[0] - pad[0] + ky;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * stride[1] - pad[1] + kx;
                if (ix < 0 || ix >= wd) continue;
                acc += x[((b * cin + ic) * h + iy) * wd + ix] * w[((oc * cpg + icg) * kh + ky) * kw + kx];
              }
            }
          }
          if (opts.bias) acc += opts.bias[oc];
          out[((b * cout + oc) * oh + oy) * ow + ox] = f(acc);
        }
    }
  return { out, shape: [n, cout, oh, ow] };
}
